"""Evaluation progress: one bar per evaluation stage, with rate and ETA, or "stored"."""

from __future__ import annotations

from collections.abc import Collection

from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from auditor.core.events import ItemsScored
from auditor.core.timefmt import fmt_eta

EVAL_STAGES = ("baseline", "aligned")
SHORT = {"baseline": "baseline", "aligned": "aligned"}  # the box is titled "evaluation"
BAR = 12
BAR_MIN = 3


class EvalProgress(Static):
    """Items scored, items per second and time left, for each evaluation run; a stage
    in ``stored`` reused a finished run instead of scoring."""

    def show(self, evals: dict[str, ItemsScored], stored: Collection[str] = (),
             stopped: str | None = None) -> None:
        """``stopped``: the audit ended ("failed"/"cancelled"): no rate or ETA any more."""
        self.evals = (evals, stored, stopped)
        rows = []  # label, (total, done), count, state
        for stage in EVAL_STAGES:
            event = evals.get(stage)
            if stage in stored:
                rows.append((Text(SHORT[stage], style="green"), (1, 1), Text("—", style="dim"),
                             Text("stored", style="green")))
            elif event is None:
                rows.append((Text(SHORT[stage], style="dim"), (1, 0), Text("—", style="dim"),
                             Text("not run" if stopped else "waiting", style="dim")))
            else:
                rows.append((Text(SHORT[stage]), (max(event.total, 1), event.done),
                             Text(f"{event.done:,}/{event.total:,}"), Text(pace(event, stopped))))
        # the bar gives way first, so the figures stay whole in a narrow pane
        others = sum(max(len(row[i]) for row in rows) for i in (0, 2, 3)) + 3
        bar = max(BAR_MIN, min(BAR, (self.content_size.width or 80) - others))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(width=bar)
        grid.add_column(no_wrap=True, justify="right")
        grid.add_column(no_wrap=True, overflow="ellipsis")
        for label, (total, done), count, state in rows:
            grid.add_row(label, ProgressBar(total, done, width=bar), count, state)
        self.update(grid)

    def on_resize(self) -> None:
        if self.evals is not None:
            self.show(*self.evals)


def pace(event: ItemsScored, stopped: str | None = None) -> str:
    """Rate and time left while scoring; "done" once finished; the end word once stopped."""
    if event.done >= event.total:
        return "done"
    if stopped:
        return stopped
    return f"{event.rate:.1f} items/s ETA {fmt_eta(event.eta_s)}"
