"""Results: a finished (or stored) spillover table; Enter on a cell drills down."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from auditor.reports.rich import caption
from auditor.stats.table import SpilloverTable
from tui.screens.drilldown import DrilldownScreen
from tui.screens.export import ExportScreen, export_table
from tui.widgets.cellstats import cell_stats
from tui.widgets.spillover import SpilloverView


def describe(title: str, run_a: str, run_b: str | None, extra: str = "") -> Text:
    """The heading line: what is shown and which runs it compares."""
    text = Text(title, style="bold")
    text.append(f"   base {run_a}" + (f" → aligned {run_b}" if run_b else ""), style="dim")
    if extra:
        text.append("\n").append(extra, style="dim")
    return text


class ResultsScreen(Screen):
    """The spillover table of two runs, read back or just computed."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("enter", "drill", "Drill down", show=True),
        Binding("e", "export", "Export"),
    ]

    def __init__(self, backend, table: SpilloverTable, run_a: str, run_b: str,
                 title: str = "Spillover", extra: str = "", heldout_ids=None) -> None:
        super().__init__()
        self.heldout_ids = heldout_ids  # the target's cells were computed on these items
        self.backend, self.table = backend, table
        self.run_a, self.run_b = run_a, run_b
        self.heading = describe(title, run_a, run_b, extra)
        self.title_text = title

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.heading, id="res-title")
        with VerticalScroll(id="res-body"):
            yield SpilloverView(id="res-table")
            yield Static("", id="cell-stats")
            yield Static(caption(self.table), id="res-caption")
        yield Footer()

    def on_mount(self) -> None:
        view = self.query_one(SpilloverView)
        view.show(self.table)
        view.focus()
        self._show_stats()

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        event.stop()
        self._show_stats()

    def _show_stats(self) -> None:
        focused = self.query_one(SpilloverView).focused_cell()
        if focused is not None:
            self.query_one("#cell-stats", Static).update(cell_stats(self.table, *focused))

    def action_export(self) -> None:
        self.app.push_screen(ExportScreen(), self._export)

    def _export(self, fmt: str | None) -> None:
        if fmt is None:
            return
        try:
            path = export_table(self.table, fmt, self.title_text, self.run_a, self.run_b)
        except OSError as exc:
            self.notify(f"export failed: {exc}", severity="error", markup=False)
            return
        self.notify(f"wrote {path}", title="exported", markup=False)

    def action_drill(self) -> None:
        picked = self.query_one(SpilloverView).chosen()
        if picked:
            self.post_message(SpilloverView.CellChosen(*picked))

    def on_spillover_view_cell_chosen(self, event: SpilloverView.CellChosen) -> None:
        event.stop()
        only = self.heldout_ids if event.attribute in self.table.target else None
        self.app.push_screen(DrilldownScreen(self.backend, self.run_a, self.run_b,
                                             event.attribute, event.context, only_ids=only))
