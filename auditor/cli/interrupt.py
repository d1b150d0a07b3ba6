"""Ctrl-C as a cancel request: the first one asks the engine to stop cleanly."""

from __future__ import annotations

import signal
import threading

import click


class first_interrupt_cancels:
    """While active, the first SIGINT sets ``event``; the next one raises KeyboardInterrupt."""

    def __init__(self, event: threading.Event):
        self.event = event
        self.previous = None

    def _handler(self, signum, frame):
        if self.event.is_set():
            raise KeyboardInterrupt
        self.event.set()
        click.echo("\nstopping after this step (Ctrl-C again to abort)...", err=True)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
