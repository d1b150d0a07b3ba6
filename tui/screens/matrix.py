"""The spillover matrix: recipes (method → target) × attributes, one context at a time,
judged in the matrix's one correction family; Enter on a cell opens that recipe's audit
(its results screen, with its own views and the audit's own correction)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from auditor.reports.matrix import cell_lines, recipe_name, summary_text

CONTEXTS = ("ambig", "disambig", "overall")


def matrix_cell(matrix_row, attribute: str, context: str) -> Text:
    """A cell's two lines (Δaccuracy, Δbias) as the reports write them."""
    accuracy, bias = cell_lines(matrix_row.cell(attribute, context))
    return Text(accuracy + ("\n" + bias if bias else ""), justify="right")


class MatrixScreen(Screen):
    """Every recipe's spillover, judged in one correction family; ``x`` changes context."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("enter", "open", "Open audit", show=True),
        Binding("x", "context", "Context"),
    ]

    def __init__(self, backend, matrix, results: dict, title: str = "Spillover matrix") -> None:
        """``results``: each recipe's AuditResult by audit id."""
        super().__init__()
        self.backend, self.matrix, self.title_text = backend, matrix, title
        self.results = results
        self.context = "overall"
        self.attributes = tuple(dict.fromkeys(a for a, _ in matrix.columns))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="mx-title")
        yield DataTable(
            id="mx-table", cursor_type="cell", zebra_stripes=True, header_height=2, fixed_columns=1
        )
        yield Static(Text(self.matrix.family_note, style="dim"), id="mx-caption")
        yield Footer()

    def on_mount(self) -> None:
        self._fill()
        self.query_one(DataTable).focus()

    def _fill(self) -> None:
        title = Text(self.title_text, style="bold")
        title.append(f"   context: {self.context} (x changes)", style="dim")
        self.query_one("#mx-title", Static).update(title)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_column("recipe", key="recipe")
        for attribute in self.attributes:
            table.add_column(Text(attribute.replace("_", "_\n", 1), justify="right"), key=attribute)
        table.add_column(Text("spillover", justify="right"), key="spillover")
        for row in self.matrix.rows:
            table.add_row(
                Text(recipe_name(row)),
                *(matrix_cell(row, a, self.context) for a in self.attributes),
                Text(summary_text(row), justify="right"),
                height=2,
                key=row.audit_id,
            )

    def action_context(self) -> None:
        self.context = CONTEXTS[(CONTEXTS.index(self.context) + 1) % len(CONTEXTS)]
        self._fill()

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        self.action_open()

    def chosen(self):
        """The recipe row and attribute under the cursor (None on the recipe and spillover
        columns: the recipe's whole audit)."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        row, column = table.cursor_coordinate
        attribute = self.attributes[column - 1] if 0 < column <= len(self.attributes) else None
        return self.matrix.rows[row], attribute

    def action_open(self) -> None:
        """The audit of the recipe under the cursor, on the cell's attribute and context."""
        from tui.screens.results import ResultsScreen

        picked = self.chosen()
        if picked is None:
            return
        row, attribute = picked
        r = self.results[row.audit_id]
        screen = ResultsScreen(
            self.backend,
            r.table,
            r.baseline_run,
            r.aligned_run,
            r.audit_id,
            f"recipe {recipe_name(row)} of the matrix (its own correction)",
            heldout_ids=r.heldout_ids or None,
            result=r,
        )
        self.app.push_screen(screen)
        if attribute is not None:
            screen.call_after_refresh(screen.focus_cell, attribute, self.context)
