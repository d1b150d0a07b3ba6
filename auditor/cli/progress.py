"""Render engine progress events for the command line.

On a terminal: rich progress bars (one per evaluation run, one for training) with stage
and message lines above them. Otherwise (pipes, CI, logs): plain lines, throttled to one
every ``interval`` seconds per bar, plus the final one.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.text import Text

from auditor.core.events import (
    Event,
    ItemsScored,
    Message,
    StageFinished,
    StageStarted,
    TrainStep,
)
from auditor.core.timefmt import fmt_eta

LEVEL_STYLE = {"info": "", "warning": "yellow", "error": "bold red"}


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
        self._tasks: dict[str, TaskID] = {}
        self._last_line: dict[str, float] = {}

    # -- context manager ------------------------------------------------------------
    def __enter__(self) -> ProgressReporter:
        return self

    def __exit__(self, *exc: object) -> None:
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
            line = Text.assemble(("▶ " + event.stage, "bold"))
            self._line(line.append(f"  {event.detail}") if event.detail else line)
        elif isinstance(event, StageFinished):
            line = Text.assemble(("✓ " + event.stage, "green"))
            line.append(" (stored result reused)" if event.skipped else "")
            self._line(line.append(f"  {event.detail}") if event.detail else line)
        elif isinstance(event, Message):
            self._line(Text(event.text, style=LEVEL_STYLE.get(event.level, "")))

    def _line(self, text: Text) -> None:
        console = self._progress.console if self._progress is not None else self.console
        console.print(text, highlight=False)

    def _bar(self, key: str, label: str, done: int, total: int, detail: str) -> None:
        if not self.live:
            now = time.monotonic()
            final = total and done >= total
            if final or now - self._last_line.get(key, -1e9) >= self.interval:
                self._last_line[key] = now
                self.console.print(
                    f"{label} {done}/{total}  {detail}", highlight=False, markup=False
                )
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
