"""Evaluation progress: one bar per evaluation stage, with rate and ETA, or "stored"."""

from __future__ import annotations

from collections.abc import Collection

from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from auditor.events import ItemsScored
from auditor.timefmt import fmt_eta

from ..state import LABELS

EVAL_STAGES = ("baseline", "aligned")
BAR = 12


class EvalProgress(Static):
    """Items scored, items per second and time left, for each evaluation run; a stage
    in ``stored`` reused a finished run instead of scoring."""

    def show(self, evals: dict[str, ItemsScored], stored: Collection[str] = ()) -> None:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(width=BAR)
        grid.add_column(no_wrap=True, justify="right")
        grid.add_column(no_wrap=True)
        for stage in EVAL_STAGES:
            event = evals.get(stage)
            if stage in stored:
                grid.add_row(Text(LABELS[stage], style="green"), ProgressBar(1, 1, width=BAR),
                             Text("—", style="dim"), Text("stored", style="green"))
                continue
            if event is None:
                grid.add_row(Text(LABELS[stage], style="dim"), ProgressBar(1, 0, width=BAR),
                             Text("—", style="dim"), Text("waiting", style="dim"))
                continue
            left = "done" if event.done >= event.total else f"ETA {fmt_eta(event.eta_s)}"
            grid.add_row(Text(LABELS[stage]), ProgressBar(max(event.total, 1), event.done, width=BAR),
                         Text(f"{event.done:,}/{event.total:,}"),
                         Text(f"{event.rate:.1f} items/s  {left}"))
        self.update(grid)
