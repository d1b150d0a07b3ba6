"""Renderings of the spillover matrix: rich table, Markdown, CSV and JSON.

Rows are recipes (method → target), columns attribute × context; a cell shows Δaccuracy
(pp) and Δbias score with their markers and verdicts from the matrix-wide correction;
† marks a recipe's own target (judged on its held-out items). The last column counts the
untargeted cells that degraded significantly.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from auditor.reports.cells import DASH, SHORT, seed_note, signed
from auditor.stats.matrix import Entry, MatrixCell, MatrixRow, SpilloverMatrix
from auditor.stats.table import DEGRADED, IMPROVED

if TYPE_CHECKING:
    from rich.table import Table

MATRIX_FORMATS = ("table", "json", "markdown", "csv")
LEGEND = (
    "Cell: Δaccuracy in pp, then Δbias score, each with its marker (▲/▼ and stars "
    "from the corrected p) and verdict; with seeds, how many seeds' own verdicts agree. "
    "† the recipe's own target (held-out items). Spillover: untargeted cells where "
    "accuracy or bias degraded significantly."
)


def recipe_name(row: MatrixRow) -> str:
    return f"{row.method} → {'+'.join(row.target)}"


def summary_text(row: MatrixRow) -> str:
    return f"{row.degraded} of {row.untargeted} degraded"


def _part(entry: Entry, scale: float, unit: str) -> str:
    if entry.delta is None:
        return DASH
    value = f"{100 * entry.delta:+.1f}{unit}" if scale > 1 else signed(entry.delta)
    label = SHORT.get(entry.verdict, entry.verdict)
    note = seed_note(entry)
    return " ".join(p for p in (value, entry.marker, label, f"({note})" if note else "") if p)


def cell_lines(cell: MatrixCell | None) -> tuple[str, str]:
    """(accuracy line, bias line) of a cell, plain text."""
    if cell is None:
        return DASH, ""
    mark = "† " if cell.targeted else ""
    bias = "" if cell.context == "overall" else "bias " + _part(cell.bias, 1.0, "")
    return mark + _part(cell.accuracy, 100.0, " pp"), bias


def _header(attribute: str, context: str) -> str:
    return f"{attribute} · {context}"


def to_rich(matrix: SpilloverMatrix, title: str = "Spillover matrix") -> list[Table]:
    """One rich table per context (rows: recipes, columns: attributes), so the matrix fits
    a terminal; the last table ends with the spillover column, the caption with the
    correction family."""
    from rich.table import Table
    from rich.text import Text

    contexts = list(dict.fromkeys(c for _, c in matrix.columns))
    tables = []
    for n, context in enumerate(contexts):
        last = n == len(contexts) - 1
        table = Table(
            title=f"{title} · {context}",
            show_lines=True,
            caption_justify="left",
            caption=f"{LEGEND}\n{matrix.family_note}." if last else None,
        )
        table.add_column("recipe", no_wrap=True)
        attributes = [a for a, c in matrix.columns if c == context]
        for attribute in attributes:
            table.add_column(attribute, justify="right")
        if last:
            table.add_column("spillover", justify="right", no_wrap=True)
        for row in matrix.rows:
            cells = []
            for attribute in attributes:
                cell = row.cell(attribute, context)
                acc, bias = cell_lines(cell)
                text = Text(acc, style=_style(cell.accuracy.verdict) if cell else "")
                if bias and cell is not None:  # a bias line only comes with a cell
                    text.append("\n" + bias, style=_style(cell.bias.verdict))
                cells.append(text)
            if last:
                cells.append(Text(summary_text(row), style="bold red" if row.degraded else ""))
            table.add_row(Text(recipe_name(row)), *cells)
        tables.append(table)
    return tables


def _style(verdict: str) -> str:
    return {DEGRADED: "bold red", IMPROVED: "green"}.get(verdict, "dim")


def to_markdown(matrix: SpilloverMatrix, title: str = "Spillover matrix") -> str:
    """One table per context (rows: recipes, columns: attributes), the spillover column in
    the last; then the legend, the correction family and each recipe's audit."""

    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [f"# {esc(title)}", ""]
    contexts = list(dict.fromkeys(c for _, c in matrix.columns))
    for n, context in enumerate(contexts):
        last = n == len(contexts) - 1
        attributes = [a for a, c in matrix.columns if c == context]
        head = ["recipe", *attributes, *(["spillover"] if last else [])]
        lines += [f"## {context}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in matrix.rows:
            cells = []
            for attribute in attributes:
                acc, bias = cell_lines(row.cell(attribute, context))
                cells.append(esc(acc + (f"<br>{bias}" if bias else "")))
            tail = [summary_text(row)] if last else []
            lines.append("| " + " | ".join([esc(recipe_name(row)), *cells, *tail]) + " |")
        lines.append("")
    lines += [LEGEND, "", f"{matrix.family_note[0].upper()}{matrix.family_note[1:]}.", ""]
    lines += [f"- `{esc(recipe_name(r))}`: audit `{r.audit_id}`" for r in matrix.rows]
    return "\n".join(lines) + "\n"


CSV_HEADER = (
    "method",
    "target",
    "audit",
    "attribute",
    "context",
    "targeted",
    "metric",
    "n",
    "before",
    "after",
    "delta",
    "p",
    "p_corrected",
    "marker",
    "verdict",
    "seeds",
    "agreement",
    "degraded_untargeted",
)


def to_csv(matrix: SpilloverMatrix) -> str:
    """One line per recipe × attribute × context × metric; ``degraded_untargeted`` repeats
    the row's summary."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in matrix.rows:
        for cell in row.cells:
            for metric in ("accuracy", "bias"):
                e = getattr(cell, metric)
                writer.writerow(
                    (
                        row.method,
                        "+".join(row.target),
                        row.audit_id,
                        cell.attribute,
                        cell.context,
                        cell.targeted,
                        metric,
                        cell.n,
                        *(
                            "" if v is None else v
                            for v in (e.before, e.after, e.delta, e.p, e.p_corrected)
                        ),
                        e.marker,
                        e.verdict,
                        len(e.seeds) or "",
                        "" if e.agreement is None else e.agreement,
                        row.degraded,
                    )
                )
    return out.getvalue()


def render_matrix(matrix: SpilloverMatrix, fmt: str, title: str = "Spillover matrix") -> str:
    """The matrix as text in ``fmt`` (json, markdown or csv)."""
    if fmt == "json":
        return matrix.to_json() + "\n"
    if fmt == "markdown":
        return to_markdown(matrix, title)
    if fmt == "csv":
        return to_csv(matrix)
    raise ValueError(f"no text rendering {fmt!r} of the matrix")
