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


def window(n: int, lines: int, current: int) -> tuple[int, int]:
    """Which of ``n`` stages ``lines`` lines show, keeping stage ``current`` (and the one
    before it) in view: ``(start, end)``; a line above or below the window says how many
    stages it hides, so those take a line each."""
    if lines <= 0 or n <= lines:
        return 0, n
    if lines < 3:  # no room for the counts
        start = min(max(0, current), n - lines)
        return start, start + lines
    rows = lines - 2
    start = min(max(0, current - 1) if rows > 1 else current, n - rows)
    end = start + rows
    if start == 0:  # nothing hidden above: that line shows a stage
        end += 1
    elif end == n:  # nothing hidden below
        start -= 1
    return start, end


class StageTracker(Static):
    """One line per stage: symbol, name, status word and the engine's detail. With more
    stages than lines (a candidate audit of many checkpoints) it shows those around the
    stage running (else the first not done), and how many it hides above and below."""

    _stages: tuple[StageState, ...] = ()

    def show(self, stages: list[StageState]) -> None:
        self._stages = tuple(stages)
        self._draw()

    def on_resize(self) -> None:
        if self._stages:
            self._draw()

    def _draw(self) -> None:
        stages = self._stages
        current = next(
            (i for i, s in enumerate(stages) if s.status == RUNNING),
            next((i for i, s in enumerate(stages) if s.status not in (DONE, REUSED)), 0),
        )
        start, end = window(len(stages), self.content_region.height, current)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True, min_width=14)
        grid.add_column(no_wrap=True, min_width=9)
        grid.add_column()  # the one rich may narrow: a long detail never squeezes the
        #                    symbol out; the detail itself keeps one line (ellipsis)
        if start:
            grid.add_row("", Text(f"↑ {start} more", style="dim"), "", "")
        for stage in stages[start:end]:
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
        if end < len(stages):
            grid.add_row("", Text(f"↓ {len(stages) - end} more", style="dim"), "", "")
        self.update(grid)
