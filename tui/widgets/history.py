"""The stored audits and runs tables of the home screen."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from auditor.store.records import RunRecord, shown_status

AUDIT_COLUMNS = ("audit", "status", "profile", "model", "created", "error")
ERROR_WIDTH = 60  # the whole message is in the run screen on resume
RUN_COLUMNS = ("pair", "run", "status", "items", "model", "mode", "adapter", "created")
ADAPTER_WIDTH = 24  # a long adapter path keeps its tail: the folder that names it


def show_audits(table: DataTable, audits: list[dict]) -> None:
    """Audits as ``list_audits`` gives them, keyed by id."""
    fill(
        table,
        AUDIT_COLUMNS,
        [
            (
                a["id"],
                shown_status(a["status"], a.get("live")),
                a["profile"],
                a["model"],
                when(a["created"]),
                one_line(a.get("error") or ""),
            )
            for a in audits
        ],
        [a["id"] for a in audits],
    )


MARKS = {"a": "base", "b": "aligned"}  # pair side -> the word in the pair column


def show_runs(table: DataTable, runs: list[RunRecord], pair: dict[str, str] | None = None) -> None:
    """Stored evaluation runs, keyed by id; runs in ``pair`` (side -> run id) say so."""
    fill(
        table,
        RUN_COLUMNS,
        [
            (
                mark(r.id, pair or {}).plain,
                r.id,
                str(r.shown_status or ""),
                count(r),
                str(r.model or ""),
                str(r.mode or ""),
                elide(str(r.adapter or "—")),
                when(r.created),
            )
            for r in runs
        ],
        [r.id for r in runs],
    )


def fill(
    table: DataTable, columns: tuple[str, ...], rows: list[tuple[str, ...]], keys: list[str]
) -> None:
    """Replace the table's rows, the cursor staying on the row it was on; columns sized to
    their longest value (set explicitly: widths measured after a refresh are not always
    redrawn)."""
    current = None
    if table.row_count and 0 <= table.cursor_row < table.row_count:
        current = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    table.clear(columns=True)
    for index, name in enumerate(columns):
        width = max([len(name)] + [len(row[index]) for row in rows])
        table.add_column(name, key=name, width=width)
    for row, key in zip(rows, keys, strict=True):
        table.add_row(*(Text(value) for value in row), key=key)
    if columns and columns[0] == "pair":
        table.columns["pair"].width = max(len(word) for word in MARKS.values())
    if current in keys:
        table.move_cursor(row=keys.index(current), animate=False)


def mark(run_id: str, pair: dict[str, str]) -> Text:
    """The pair column of ``run_id``: "base", "aligned", "both" or empty, highlighted."""
    sides = [MARKS[side] for side in ("a", "b") if pair.get(side) == run_id]
    if not sides:
        return Text("")
    return Text("both" if len(sides) == 2 else sides[0], style="bold reverse")


def show_marks(table: DataTable, runs: list[dict], pair: dict[str, str]) -> None:
    """Refresh the pair column in place (the cursor stays)."""
    for run in runs:
        table.update_cell(run.id, "pair", mark(run.id, pair))


def count(run: dict) -> str:
    """Answers stored, out of the run's total when known."""
    done = run.done or 0
    return f"{done:,}/{run.total:,}" if run.total else f"{done:,}"


def when(created: str) -> str:
    """'2026-01-02T10:00:00+00:00' → '2026-01-02 10:00'."""
    return created[:16].replace("T", " ") if created else ""


def elide(path: str, width: int = ADAPTER_WIDTH) -> str:
    """``path`` cut to ``width`` from the left: '…/gender/alignment/adapter'."""
    return path if len(path) <= width else "…" + path[-(width - 1) :]


def one_line(text: str, width: int = ERROR_WIDTH) -> str:
    """``text`` on one line, cut to ``width`` with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
