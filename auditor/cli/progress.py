"""Render engine progress events for the command line.

On a terminal: rich progress bars (one per evaluation run, one for training) with stage
and message lines above them. Otherwise (pipes, CI, logs): plain lines, throttled to one
every ``interval`` seconds per bar, plus the final one.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ..events import (
    Event,
    ItemsScored,
    Message,
    StageFinished,
    StageStarted,
    TrainStep,
)

LEVEL_STYLE = {"info": "", "warning": "yellow", "error": "bold red"}


def fmt_eta(seconds: float | None) -> str:
    """'1h02m', '3m05s', '12s' or '?'."""
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "?"
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def train_detail(event: TrainStep) -> str:
    """Loss and reward margin of a training step, as shown next to the bar."""
    parts = []
    for key, label in (("loss", "loss"), ("rewards/margins", "margin")):
        if key in event.metrics:
            parts.append(f"{label} {event.metrics[key]:.4f}")
    return "  ".join(parts)


class ProgressReporter:
    """A reporter (``Callable[[Event], None]``) that draws events with rich.

    Use as a context manager so a live display is stopped cleanly. ``live`` forces
    (True) or forbids (False) the progress bars; by default they show on a terminal.
    """

    def __init__(self, console: Console | None = None, *, live: bool | None = None,
                 interval: float = 2.0):  # fmt: skip
        self.console = console or Console(stderr=True)
        self.live = self.console.is_terminal if live is None else live
        self.interval = interval
        self._progress: Progress | None = None
        self._tasks: dict[str, int] = {}
        self._last_line: dict[str, float] = {}

    # -- context manager ------------------------------------------------------------
    def __enter__(self) -> ProgressReporter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._tasks.clear()

    # -- events ---------------------------------------------------------------------
    def __call__(self, event: Event) -> None:
        if isinstance(event, ItemsScored):
            detail = f"{event.rate:.1f} items/s  eta {fmt_eta(event.eta_s)}"
            self._bar(f"eval {event.run_id}", "scoring", event.done, event.total, detail)
        elif isinstance(event, TrainStep):
            detail = f"{train_detail(event)}  eta {fmt_eta(event.eta_s)}".strip()
            self._bar("train", "training", event.step, event.total_steps, detail)
        elif isinstance(event, StageStarted):
            self._line(f"[bold]▶ {event.stage}[/]" + (f"  {event.detail}" if event.detail else ""))
        elif isinstance(event, StageFinished):
            how = " (stored result reused)" if event.skipped else ""
            extra = f"  {event.detail}" if event.detail else ""
            self._line(f"[green]✓ {event.stage}[/]{how}{extra}")
        elif isinstance(event, Message):
            style = LEVEL_STYLE.get(event.level, "")
            text = event.text.replace("[", r"\[")
            self._line(f"[{style}]{text}[/]" if style else text)

    def _line(self, markup: str) -> None:
        if self._progress is not None:
            self._progress.console.print(markup, highlight=False)
        else:
            self.console.print(markup, highlight=False)

    def _bar(self, key: str, label: str, done: int, total: int, detail: str) -> None:
        if not self.live:
            now = time.monotonic()
            final = total and done >= total
            if final or now - self._last_line.get(key, -1e9) >= self.interval:
                self._last_line[key] = now
                self.console.print(f"{label} {done}/{total}  {detail}", highlight=False)
            return
        if self._progress is None:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                console=self.console,
                transient=False,
            )
            self._progress.start()
        if key not in self._tasks:
            self._tasks[key] = self._progress.add_task(label, total=total, detail="")
        self._progress.update(self._tasks[key], completed=done, total=total, detail=detail)
