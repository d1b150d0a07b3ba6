"""Evaluation progress: one bar per evaluation stage, with rate and ETA."""

from __future__ import annotations

from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from auditor.cli.progress import fmt_eta
from auditor.events import ItemsScored

from ..state import LABELS

EVAL_STAGES = ("baseline", "aligned")


class EvalProgress(Static):
    """Items scored, items per second and time left, for each evaluation run."""

    def show(self, evals: dict[str, ItemsScored]) -> None:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, min_width=13)
        grid.add_column(width=24)
        grid.add_column(no_wrap=True, justify="right")
        grid.add_column(no_wrap=True)
        for stage in EVAL_STAGES:
            event = evals.get(stage)
            if event is None:
                grid.add_row(Text(LABELS[stage], style="dim"), ProgressBar(1, 0, width=24),
                             Text("—", style="dim"), Text("waiting", style="dim"))
                continue
            detail = (f"{event.rate:.1f} items/s  ETA {fmt_eta(event.eta_s)}"
                      if event.done < event.total else f"{event.rate:.1f} items/s  done")
            grid.add_row(Text(LABELS[stage]), ProgressBar(max(event.total, 1), event.done, width=24),
                         Text(f"{event.done:,}/{event.total:,}"), Text(detail))
        self.update(grid)
