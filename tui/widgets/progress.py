"""Evaluation progress: one bar per evaluation stage, with rate and ETA, or "stored".

A rotated run (``[eval] orders``) scores each item in several orderings: its counts are
item orderings, and say so."""

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

    evals = None

    def show(
        self,
        evals: dict[str, ItemsScored],
        stored: Collection[str] = (),
        stopped: str | None = None,
        stages: tuple[str, ...] = EVAL_STAGES,
        rotated: bool = False,
    ) -> None:
        """``stopped``: the audit ended ("failed"/"cancelled"): no rate or ETA any more;
        ``stages``: the evaluation stages, in order ("baseline (cloze)" too); ``rotated``:
        the trained-format runs count item orderings."""
        self.evals = (evals, stored, stopped, stages, rotated)
        rows = []  # label, (total, done), count, state
        for stage in stages:
            event, label = evals.get(stage), SHORT.get(stage, stage)
            unit = "items" if stage not in EVAL_STAGES or not rotated else "orderings"
            if stage in stored:
                rows.append(
                    (
                        Text(label, style="green"),
                        (1, 1),
                        Text("—", style="dim"),
                        Text("stored", style="green"),
                    )
                )
            elif event is None:
                rows.append(
                    (
                        Text(label, style="dim"),
                        (1, 0),
                        Text("—", style="dim"),
                        Text("not run" if stopped else "waiting", style="dim"),
                    )
                )
            else:
                count = f"{event.done:,}/{event.total:,}" + (
                    " orderings" if rotated and unit == "orderings" else ""
                )
                rows.append(
                    (
                        Text(label),
                        (max(event.total, 1), event.done),
                        Text(count),
                        Text(pace(event, stopped, unit)),
                    )
                )
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


def pace(event: ItemsScored, stopped: str | None = None, unit: str = "items") -> str:
    """Rate and time left while scoring; "done" once finished; the end word once stopped."""
    if event.done >= event.total:
        return "done"
    if stopped:
        return stopped
    return f"{event.rate:.1f} {unit}/s ETA {fmt_eta(event.eta_s)}"
