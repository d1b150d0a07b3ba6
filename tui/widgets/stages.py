"""The stage tracker: baseline eval → DPO alignment → aligned eval → compare (and the
untrained-format stages). A stage run once per seed replicate shows each seed's status
in place of its status word: "0✓ 1▶ 2○"."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.state import CANCELLED, DONE, FAILED, PENDING, REUSED, RUNNING, StageState

SYMBOLS = {PENDING: "○", RUNNING: "▶", DONE: "✓", REUSED: "↺", FAILED: "✗", CANCELLED: "■"}
STYLES = {
    PENDING: "dim",
    RUNNING: "bold",
    DONE: "green",
    REUSED: "green",
    FAILED: "bold red",
    CANCELLED: "yellow",
}
WORDS = {REUSED: "stored"}  # a reused stage read back from the store


class StageTracker(Static):
    """One line per stage: symbol, name, status word and the engine's detail."""

    def show(self, stages: list[StageState]) -> None:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True, min_width=14)
        grid.add_column(no_wrap=True, min_width=9)
        grid.add_column()  # the one rich may narrow: a long detail never squeezes the
        #                    symbol out; the detail itself keeps one line (ellipsis)
        for stage in stages:
            style = STYLES.get(stage.status, "")
            grid.add_row(
                Text(SYMBOLS.get(stage.status, "?"), style=style),
                Text(stage.label, style=style),
                Text(
                    stage.seed_line() if stage.seeds else WORDS.get(stage.status, stage.status),
                    style=style,
                    no_wrap=True,
                ),
                Text(stage.detail, style="dim", no_wrap=True, overflow="ellipsis"),
            )
        self.update(grid)
