"""Ctrl-C as a cancel request (the first one asks the engine to stop cleanly), and
SIGTERM as an interrupt the engine records."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, Self

import click

Handler = Callable[[int, FrameType | None], Any] | int | None  # what signal.signal returns


class first_interrupt_cancels:
    """While active, the first SIGINT sets ``event``; the next one raises KeyboardInterrupt."""

    def __init__(self, event: threading.Event):
        self.event = event
        self.previous: Handler = None

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.event.set()
        click.echo("\nstopping after this step (Ctrl-C again to abort)...", err=True)

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM (a CI cancel, ``timeout``, ``docker stop``): the work stops at once and is
    recorded ``interrupted``, as a second Ctrl-C; stored work is kept for the rerun."""

    exit_code = 128 + signal.SIGTERM

    def __init__(self) -> None:
        super().__init__("terminated (SIGTERM); stored results are kept, rerun to resume")


class sigterm_interrupts:
    """While active, SIGTERM raises ``Terminated`` in the main thread (once: a second
    SIGTERM while the stop is being recorded is ignored, so the record is written)."""

    def __init__(self) -> None:
        self.previous: Handler = None
        self.raised = False

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if not self.raised:
            self.raised = True
            raise Terminated

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
