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


def run_cancellable(run: Callable[..., Any], store_path: str | None, **kwargs: Any) -> Any:
    """``run(store=, cancel=, reporter=, **kwargs)`` with the first Ctrl-C as a cancel: on
    rank 0 with the store open and progress shown, returning what ``run`` returns; on a
    launcher's other ranks with no store nor progress, returning None. A cancel exits 130
    (rank 0 says so in one line: stored work is kept)."""
    from auditor.cli.options import open_store
    from auditor.cli.progress import ProgressReporter
    from auditor.core.events import Cancelled
    from auditor.models.distributed import world

    cancel = threading.Event()
    if not world().is_main:  # under a launcher: a share of every stage; rank 0 reports
        try:
            with first_interrupt_cancels(cancel):
                run(store=None, cancel=cancel, **kwargs)
        except Cancelled:
            raise SystemExit(130) from None
        return None
    with open_store(store_path) as store, ProgressReporter() as reporter:
        try:
            with first_interrupt_cancels(cancel):
                return run(store=store, cancel=cancel, reporter=reporter, **kwargs)
        except Cancelled as exc:
            reporter.close()
            click.echo(f"cancelled: {exc}; stored work is kept, rerun to resume", err=True)
            raise SystemExit(130) from None
