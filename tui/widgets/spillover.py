"""The live spillover table: attributes × (ambig, disambig, overall), before → after.

Cells reuse the rich table's formatting (``auditor.reports.rich``): Δ with its sign, the
marker (▲/▼ and ``*``/``**``/``***``), before→after and the verdict in words, so colour
is never the only carrier of meaning. The target rows come first, marked, and stay fixed
(with the header and the attribute column) while the rest scrolls beneath them. Scrolling
sideways stops at column edges: a column cut on its left would lose its sign.
Enter on a cell posts ``CellChosen``; on the attribute column, for all its items.
A last column, the bias-aligned accuracy gap (disambiguated contexts), joins when the
table has gaps and the widget is wide enough to show every column whole.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from auditor.reports.rich import accuracy_text, bias_text, gap_text
from auditor.stats.table import SpilloverTable

COLUMNS = (  # key, header, context, metric
    ("attribute", "attribute", None, None),
    ("ambig/accuracy", "ambig\naccuracy", "ambig", "accuracy"),
    ("ambig/bias", "ambig\nbias score", "ambig", "bias"),
    ("disambig/accuracy", "disambig\naccuracy", "disambig", "accuracy"),
    ("disambig/bias", "disambig\nbias score", "disambig", "bias"),
    ("overall/accuracy", "overall\naccuracy", "overall", "accuracy"),
)
GAP_COLUMN = ("gap", "bias-aligned\naccuracy gap", "disambig", "gap")
ATTRIBUTE_WIDTH, CELL_WIDTH = 21, 15
GAP_FITS = ATTRIBUTE_WIDTH + CELL_WIDTH * len(COLUMNS) + 2 * len(COLUMNS) + 2  # cells, padding
ROW_HEIGHT = 3
PENDING = Text("…\nrunning", style="dim italic", justify="right")
NOT_RUN = Text("—\nnot computed", style="dim", justify="right")  # the audit stopped first


def attribute_label(attribute: str, is_target: bool) -> Text:
    if not is_target:
        return Text(attribute)
    label = Text("◆ ", style="bold")
    label.append(attribute, style="bold")
    return label.append("\ntarget", style="dim")


def leading_targets(table: SpilloverTable) -> int:
    """How many rows, from the top, are target attributes (the rows kept fixed)."""
    count = 0
    for attribute in table.attributes:
        if attribute not in table.target:
            break
        count += 1
    return count


def cell_text(
    table: SpilloverTable, attribute: str, context: str, metric: str, stopped: bool = False
) -> Text:
    if metric == "gap":
        gap = next((g for g in table.gaps if g.attribute == attribute), None)
        if gap is None:
            return NOT_RUN if stopped else PENDING
        text = gap_text(gap)
        text.justify = "right"
        return text
    cell = table.cell(attribute, context)
    if cell is None:
        return NOT_RUN if stopped else PENDING
    text = accuracy_text(cell.accuracy) if metric == "accuracy" else bias_text(cell.bias)
    text.justify = "right"
    return text


class SpilloverView(DataTable):
    """A DataTable of one SpilloverTable; ``show`` updates it in place."""

    BINDINGS = [Binding("enter", "select_cursor", "Items of cell")]  # shown in the footer

    class CellChosen(Message):
        """The user picked ``attribute`` × ``context`` (None: every context)."""

        def __init__(self, attribute: str, context: str | None) -> None:
            super().__init__()
            self.attribute = attribute
            self.context = context

    def __init__(self, **kwargs) -> None:
        super().__init__(
            cursor_type="cell", zebra_stripes=True, header_height=2, fixed_columns=1, **kwargs
        )
        self.table: SpilloverTable | None = None
        self.stopped = False  # the audit ended: a missing cell will never come
        self.columns_shown: tuple = ()

    def on_mount(self) -> None:
        self._set_columns(COLUMNS)

    def _set_columns(self, columns: tuple) -> None:
        self.clear(columns=True)
        for key, header, _context, _metric in columns:
            self.add_column(
                Text(header, justify="left" if key == "attribute" else "right"),
                key=key,
                width=ATTRIBUTE_WIDTH if key == "attribute" else CELL_WIDTH,
            )
        self.columns_shown = columns

    def _wanted(self, table: SpilloverTable) -> tuple:
        """The columns for ``table`` at this width: the gap's only when it fits whole."""
        fits = bool(table.gaps) and self.size.width >= GAP_FITS
        return (*COLUMNS, GAP_COLUMN) if fits else COLUMNS

    def on_resize(self) -> None:
        if self.table is not None and self._wanted(self.table) != self.columns_shown:
            self.show(self.table, self.stopped)

    def show(self, table: SpilloverTable, stopped: bool = False) -> None:
        """Show ``table``, keeping the cursor where it was; ``stopped``: the audit ended,
        so cells not in it say they were not computed."""
        self.stopped = stopped
        wanted = self._wanted(table)
        if wanted != self.columns_shown:
            cursor = self.cursor_coordinate
            self._set_columns(wanted)
            self.table = None
        else:
            cursor = None
        if self.table is None or self.table.attributes != table.attributes:
            self.clear()
            for attribute in table.attributes:
                self.add_row(*self._row(table, attribute), height=ROW_HEIGHT, key=attribute)
            self.fixed_rows = leading_targets(table)
            # no taller than its rows: what follows sits right below, not at the bottom
            self.styles.max_height = self.header_height + ROW_HEIGHT * len(table.attributes)
            if cursor is not None:
                self.cursor_coordinate = cursor
        else:
            for attribute in table.attributes:
                for (key, *_), value in zip(
                    self.columns_shown, self._row(table, attribute), strict=True
                ):
                    self.update_cell(attribute, key, value)
        self.table = table

    def _row(self, table: SpilloverTable, attribute: str) -> list[Text]:
        label = attribute_label(attribute, attribute in table.target)
        return [label] + [
            cell_text(table, attribute, context, metric, self.stopped)
            for _key, _header, context, metric in self.columns_shown[1:]
        ]

    # -- sideways scrolling stops at column edges -----------------------------------
    def column_starts(self) -> list[int]:
        """The scroll offsets at which each scrolling column is the first one shown whole."""
        starts, x = [], 0
        for column in self.ordered_columns[self.fixed_columns :]:
            starts.append(x)
            x += column.get_render_width(self)
        return starts

    @property
    def max_scroll_x(self) -> int:
        """Far enough right to reach a column edge (beyond the table there is blank)."""
        furthest = super().max_scroll_x
        return next((s for s in self.column_starts() if s >= furthest), furthest)

    def _edge(self, value: float) -> float:
        """The column edge to stop at: the next one right when moving right, else left."""
        starts = self.column_starts()
        if not starts:
            return value
        if value > self.scroll_x:
            return next((s for s in starts if s >= value), starts[-1])
        return max((s for s in starts if s <= value), default=0)

    def validate_scroll_x(self, value: float) -> float:
        value = super().validate_scroll_x(value)
        if self.is_mounted and self.app.animator.is_being_animated(self, "scroll_x"):
            return value  # on its way to an edge (the target is one)
        return self._edge(value)

    def validate_scroll_target_x(self, value: float) -> float:
        return self._edge(super().validate_scroll_target_x(value))

    def chosen(self) -> tuple[str, str | None] | None:
        """The attribute and context under the cursor."""
        if self.table is None or not self.row_count:
            return None
        row, column = self.cursor_coordinate
        context = self.columns_shown[column][2]
        return self.table.attributes[row], (None if context == "overall" else context)

    def focused_cell(self) -> tuple[str, str | None, str | None] | None:
        """The attribute, context and metric under the cursor (for the statistics panel)."""
        picked = self.chosen()
        if picked is None:
            return None
        _key, _header, context, metric = self.columns_shown[self.cursor_coordinate.column]
        return picked[0], context, metric

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        picked = self.chosen()
        if picked is not None:
            self.post_message(self.CellChosen(*picked))
