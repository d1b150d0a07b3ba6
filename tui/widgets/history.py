"""The stored audits and runs tables of the home screen."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

AUDIT_COLUMNS = ("audit", "profile", "model", "status", "created")
RUN_COLUMNS = ("run", "model", "adapter", "mode", "items", "status", "created")


def show_audits(table: DataTable, audits: list[dict]) -> None:
    """Audits as ``list_audits`` gives them, keyed by id."""
    fill(table, AUDIT_COLUMNS, [
        (a["id"], a["profile"], a["model"], a["status"], when(a["created"])) for a in audits
    ], [a["id"] for a in audits])


def show_runs(table: DataTable, runs: list[dict]) -> None:
    """Stored evaluation runs, keyed by id."""
    fill(table, RUN_COLUMNS, [
        (r["id"], str(r.get("model") or ""), str(r.get("adapter") or "—"),
         str(r.get("mode") or ""), count(r), str(r.get("status") or ""), when(r["created"]))
        for r in runs
    ], [r["id"] for r in runs])


def fill(table: DataTable, columns: tuple[str, ...], rows: list[tuple[str, ...]],
         keys: list[str]) -> None:
    """Replace the table's rows; columns sized to their longest value (set explicitly:
    widths measured after a refresh are not always redrawn)."""
    table.clear(columns=True)
    for index, name in enumerate(columns):
        width = max([len(name)] + [len(row[index]) for row in rows])
        table.add_column(name, key=name, width=width)
    for row, key in zip(rows, keys, strict=True):
        table.add_row(*(Text(value) for value in row), key=key)


def count(run: dict) -> str:
    """Answers stored, out of the run's total when known."""
    done = run.get("done") or 0
    return f"{done:,}/{run['total']:,}" if run.get("total") else f"{done:,}"


def when(created: str) -> str:
    """'2026-01-02T10:00:00+00:00' → '2026-01-02 10:00'."""
    return created[:16].replace("T", " ") if created else ""
