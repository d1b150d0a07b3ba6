"""Drill-down: the items behind one table cell, filterable to failing or flipped ones."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static, Tab, Tabs

from tui.itemtext import item_text, role_word, status_text
from tui.messages import ItemsLoaded, LoadFailed, failure

FILTERS = (
    ("all", "all"),
    ("failing", "failing"),
    ("flipped", "flipped"),
    ("flipped_to_wrong", "→ wrong"),
    ("flipped_to_right", "→ right"),
)


def sort_key(row, column: str, attribute: str):
    """Rows by ``column``; item ids as numbers (68 before 220), the drilled attribute's
    items first."""
    item = row.item
    by_id = (item.attribute != attribute, item.attribute, item.example_id)
    if column == "item":
        return by_id
    value = {
        "context": item.context_condition,
        "status": row.status,
        "base": _answer_cell(row.before, row.before_role, item).plain,
        "aligned": _answer_cell(row.after, row.after_role, item).plain,
    }[column]
    return (value, *by_id)


def matches(row, query: str) -> bool:
    """``query`` (any case) in the item's id, context, question or options."""
    item = row.item
    haystack = " ".join(
        (item.id, item.context, item.question, *(option.text for option in item.options))
    )
    return query.casefold() in haystack.casefold()


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
        Binding("w", "show('flipped_to_wrong')", "To wrong", show=False),
        Binding("r", "show('flipped_to_right')", "To right", show=False),
        Binding("slash", "search", "Search"),
        Binding("y", "copy", "Copy item"),
    ]

    def __init__(
        self,
        backend,
        run_a: str,
        run_b: str | None,
        attribute: str,
        context: str | None,
        show: str = "all",
        only_ids=None,
    ) -> None:
        super().__init__()
        self.backend, self.run_a, self.run_b = backend, run_a, run_b
        self.attribute, self.context, self.filter = attribute, context, show
        self.only_ids = only_ids  # e.g. the target's held-out items, as in the table
        self.rows: list = []  # as loaded
        self.shown: list = []  # sorted and searched, as listed
        self.sort_by, self.reverse, self.search_text = "item", False, ""
        # one context drilled into: its column would repeat the title on every row
        self.columns = tuple(
            c
            for c in ("item", "context", "base", "aligned", "status")
            if c != "context" or context is None
        )

    def compose(self) -> ComposeResult:
        yield Header()
        where = Text(self.attribute, style="bold").append(f" × {self.context or 'all contexts'}")
        where.append(f"   base {self.run_a}", style="dim")
        if self.run_b:
            where.append(f" → aligned {self.run_b}", style="dim")
        yield Static(where, id="dd-title")
        with Horizontal():
            with Vertical(id="dd-left"):
                yield Tabs(
                    *(Tab(label, id=key) for key, label in FILTERS),
                    active=self.filter,
                    id="dd-filter",
                )
                yield Input(
                    placeholder="search id or text (Enter: back to the list)", id="dd-search"
                )
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
            rows = self.backend.item_rows(
                self.run_a,
                self.run_b,
                self.attribute,
                self.context,
                show=show,
                only_ids=self.only_ids,
            )
        except Exception as exc:  # shown in the screen, never a traceback
            self.post_message(LoadFailed(show, failure(exc)))
            return
        self.post_message(ItemsLoaded(show, rows))

    def on_load_failed(self, message: LoadFailed) -> None:
        if message.what != self.filter:
            return  # a superseded filter
        self.query_one("#dd-items", DataTable).clear()
        self.rows = self.shown = []
        self.query_one("#dd-detail", Static).update(Text(message.error, style="bold red"))
        self.query_one("#dd-count", Static).update("")

    def on_items_loaded(self, message: ItemsLoaded) -> None:
        if message.show != self.filter:
            return  # a superseded filter
        self.shown = []
        self.rows = list(message.rows)
        self._fill()

    def _fill(self) -> None:
        """List the loaded rows, searched and sorted; the detail shows the first."""
        table = self.query_one("#dd-items", DataTable)
        table.clear()
        text = self.search_text
        rows = [r for r in self.rows if matches(r, text)] if text else self.rows
        self.shown = sorted(
            rows, key=lambda r: sort_key(r, self.sort_by, self.attribute), reverse=self.reverse
        )
        for row in self.shown:
            name = str(row.item.example_id) if row.item.attribute == self.attribute else row.item.id
            cells = {
                "item": Text(name),
                "context": Text(row.item.context_condition),
                "base": _answer_cell(row.before, row.before_role, row.item),
                "aligned": _answer_cell(row.after, row.after_role, row.item),
                "status": status_text(row.status),
            }
            table.add_row(*(cells[c] for c in self.columns), key=row.item.id)
        count = len(self.shown)
        what = dict(FILTERS)[self.filter] + (f', matching "{text}"' if text else "")
        self.query_one("#dd-count", Static).update(
            Text(f"{count} item{'' if count == 1 else 's'} ({what})", style="dim")
        )
        self.query_one("#dd-detail", Static).update(
            item_text(self.shown[0])
            if self.shown
            else Text("no items match this filter", style="dim")
        )

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """Click a header: sort by it; again: the other way round."""
        event.stop()
        column = str(event.column_key.value)
        self.reverse = not self.reverse if column == self.sort_by else False
        self.sort_by = column
        self._fill()

    def action_copy(self) -> None:
        """The highlighted item, as the detail pane shows it, to the clipboard."""
        table = self.query_one("#dd-items", DataTable)
        if not 0 <= table.cursor_row < len(self.shown):
            self.notify("no item to copy", severity="warning")
            return
        row = self.shown[table.cursor_row]
        self.app.copy_to_clipboard(item_text(row).plain)
        self.notify(f"copied {row.item.id} to the clipboard", markup=False)

    def action_search(self) -> None:
        search = self.query_one("#dd-search", Input)
        search.add_class("-active")  # hidden until asked for: the list keeps its rows
        self.call_after_refresh(search.focus)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search_text = event.value.strip()
        self._fill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.search_text:
            event.input.remove_class("-active")
        self.query_one("#dd-items", DataTable).focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.shown):
            self.query_one("#dd-detail", Static).update(item_text(self.shown[event.cursor_row]))
