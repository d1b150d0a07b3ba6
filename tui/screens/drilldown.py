"""Drill-down: the items behind one table cell, filterable to failing or flipped ones."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, Tab, Tabs

from ..itemtext import item_text, role_word, status_text
from ..messages import Loaded

FILTERS = (("all", "all items"), ("failing", "failing"), ("flipped", "flipped"))


def _answer_cell(answer, role, item) -> Text:
    if answer is None:
        return Text("—", style="dim")
    if answer.predicted is None:
        return Text("invalid", style="yellow")
    mark = "✓" if answer.predicted == item.label else "✗"
    return Text(f"{mark} {role_word(role)}", style="green" if mark == "✓" else "red")


class DrilldownScreen(Screen):
    """Items of ``attribute`` × ``context`` (None: all contexts) in runs A (base) and B."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("a", "show('all')", "All"),
        Binding("f", "show('failing')", "Failing"),
        Binding("x", "show('flipped')", "Flipped"),
    ]

    def __init__(self, backend, run_a: str, run_b: str | None, attribute: str,
                 context: str | None, show: str = "all", only_ids=None) -> None:
        super().__init__()
        self.backend, self.run_a, self.run_b = backend, run_a, run_b
        self.attribute, self.context, self.filter = attribute, context, show
        self.only_ids = only_ids  # e.g. the target's held-out items, as in the table
        self.rows: list = []
        # one context drilled into: its column would repeat the title on every row
        self.columns = tuple(c for c in ("item", "context", "base", "aligned", "status")
                             if c != "context" or context is None)

    def compose(self) -> ComposeResult:
        yield Header()
        where = Text(self.attribute, style="bold").append(f" × {self.context or 'all contexts'}")
        where.append(f"   base {self.run_a}", style="dim")
        if self.run_b:
            where.append(f" → aligned {self.run_b}", style="dim")
        yield Static(where, id="dd-title")
        with Horizontal():
            with Vertical(id="dd-left"):
                yield Tabs(*(Tab(label, id=key) for key, label in FILTERS), active=self.filter,
                           id="dd-filter")
                yield DataTable(id="dd-items", cursor_type="row", zebra_stripes=True)
                yield Static("", id="dd-count")
            with VerticalScroll(id="dd-detail-box"):
                yield Static(Text("loading…", style="dim"), id="dd-detail")
        yield Footer()

    def on_mount(self) -> None:
        items = self.query_one("#dd-items", DataTable)
        for key in self.columns:
            items.add_column(key, key=key)
        items.focus()
        self.load()

    def action_show(self, name: str) -> None:
        self.query_one("#dd-filter", Tabs).active = name

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab.id and event.tab.id != self.filter:
            self.filter = event.tab.id
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="drilldown")
    def load(self) -> None:
        show = self.filter
        try:
            rows = self.backend.item_rows(self.run_a, self.run_b, self.attribute, self.context,
                                          show=show, only_ids=self.only_ids)
        except Exception as exc:  # shown in the screen, never a traceback
            self.post_message(Loaded(show, error=f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(Loaded(show, rows))

    def on_loaded(self, message: Loaded) -> None:
        if message.what != self.filter:
            return  # a superseded filter
        table = self.query_one("#dd-items", DataTable)
        table.clear()
        detail = self.query_one("#dd-detail", Static)
        if message.error:
            self.rows = []
            detail.update(Text(message.error, style="bold red"))
            self.query_one("#dd-count", Static).update("")
            return
        self.rows = list(message.value)
        for row in self.rows:
            name = str(row.item.example_id) if row.item.attribute == self.attribute else row.item.id
            cells = {"item": Text(name), "context": Text(row.item.context_condition),
                     "base": _answer_cell(row.before, row.before_role, row.item),
                     "aligned": _answer_cell(row.after, row.after_role, row.item),
                     "status": status_text(row.status)}
            table.add_row(*(cells[c] for c in self.columns), key=row.item.id)
        self.query_one("#dd-count", Static).update(
            Text(f"{len(self.rows)} items ({dict(FILTERS)[self.filter]})", style="dim"))
        detail.update(item_text(self.rows[0]) if self.rows
                      else Text("no items match this filter", style="dim"))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.rows):
            self.query_one("#dd-detail", Static).update(item_text(self.rows[event.cursor_row]))
