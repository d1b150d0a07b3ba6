"""A self-contained HTML report to share in a pull request, a paper or a model card.

One file, no network fetch: inline CSS, the figure inline as SVG (when matplotlib is
installed), the table with markers and verdicts, the legend, the gate verdict, the
trajectory over training when the audit has one, and the flipped items per cell in
collapsible sections. Every text from BBQ, a model or a store
is escaped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from html import escape as _html_escape
from typing import TYPE_CHECKING, Any

from auditor.core.textsafe import visible
from auditor.reports.alternatives import accuracy_test_name
from auditor.reports.cells import SHORT, accuracy_cell, bias_cell
from auditor.reports.document import Report
from auditor.reports.judgements import headline
from auditor.reports.markdown import METHOD
from auditor.stats.table import COLUMNS, AccuracyChange, BiasChange, SpilloverTable

if TYPE_CHECKING:
    from auditor.audit.gate import GateResult


def escape(text: str) -> str:
    """HTML-escaped text with control characters and bidirectional overrides and isolates
    shown as escapes (\\x1b, \\u202e), as on the terminal; never passed through."""
    return _html_escape(visible(text))


CSS = """
body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}.target{background:#fdf1dc}
.degraded{color:#b34700;font-weight:bold}.improved{color:#00735a}
.pass{color:#00735a}.fail{color:#b34700}.note{border-left:4px solid #E69F00;padding:.3rem .8rem}
details{margin:.3rem 0}summary{cursor:pointer}.figure svg{max-width:100%;height:auto}
small{color:#555}
"""


def to_html(report: Report) -> str:
    table, subject = report.table, report.subject
    title = subject.get("title", "comparison")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Bias spillover: {escape(str(title))}</title>", f"<style>{CSS}</style>",
        "</head><body>", f"<h1>Bias spillover: {escape(str(title))}</h1>",
        _subject(report), *[f'<p class="note"><strong>Note:</strong> {escape(str(n))}</p>'
                            for n in subject.get("notes", ())],
        _gate(report), _figure(table, str(title)), "<h2>Spillover table</h2>", _grid(table),
    ]  # fmt: skip
    if report.target_all is not None:
        parts += ["<h2>Target attribute on all its evaluated items</h2>",
                  "<p>Training items included; not in the gate's family.</p>",
                  _grid(report.target_all)]  # fmt: skip
    parts += _controls(report)
    parts += _trajectory(report)
    parts += [f"<p><small>{escape(_legend(table))}</small></p>", _flips(report.flips),
              "</body></html>"]  # fmt: skip
    return "\n".join(p for p in parts if p) + "\n"


def _controls(report: Report) -> list[str]:
    """The bias-aligned accuracy gap (the Markdown report's rows), the option-order
    rotation and the format transfer with its readings."""
    from auditor.reports.markdown import _gaps

    parts = []
    gaps = _gaps(report.table)
    if gaps:
        parts += [
            "<h2>Bias-aligned accuracy gap (disambiguated contexts)</h2>",
            f"<p>{escape(gaps[3])}</p>",
            _md_table(gaps[5:]),
        ]
    if report.rotation is not None:
        from auditor.reports.rotation import change_lines

        parts += [
            "<h2>Option-order rotation</h2>",
            "<ul>"
            + "".join(f"<li>{escape(line)}</li>" for line in change_lines(report.rotation))
            + "</ul>",
        ]
    if report.transfer is not None:
        from auditor.stats.transfer import cell_line

        parts += [
            f"<h2>Format transfer ({escape(report.transfer_format)})</h2>",
            f"<p>The same base and aligned models in the {escape(report.transfer_format)} "
            "format, which alignment never saw (not in the gate's family).</p>",
            _grid(report.transfer),
            "<ul>"
            + "".join(
                f"<li><strong>{escape(a)} / {c}</strong>: {escape(line)}</li>"
                for a in report.table.attributes
                for c in COLUMNS
                if (line := cell_line(report.transfer_readings, a, c))
            )
            + "</ul>",
        ]
    return parts


def _trajectory(report: Report) -> list[str]:
    """Spillover over training: the Markdown report's table (``trajectory.grid``), escaped."""
    if report.trajectory is None:
        return []
    from auditor.reports.trajectory import grid, legend

    head, rows = grid(report.trajectory)
    return [
        "<h2>Spillover over training</h2>",
        _text_table(head, rows),
        f"<p><small>{escape(legend(report.trajectory))}</small></p>",
    ]


def _md_table(lines: list[str]) -> str:
    """A Markdown table's lines (header, rule, rows) as an HTML table, cells escaped."""

    def cells(line: str) -> list[str]:
        return [c.strip().replace("\\|", "|") for c in line.strip().strip("|").split(" | ")]

    rows = [[c.replace("**", "") for c in cells(line)] for line in lines[2:]]
    return _text_table(cells(lines[0]), rows)


def _text_table(head: list[str], rows: list[list[str]]) -> str:
    """Plain-text cells as an HTML table, every cell escaped."""
    out = ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows]
    return "".join(out) + "</table>"


def _subject(report: Report) -> str:
    table = report.table
    rows = [(k, v) for k, v in report.subject.items() if k not in ("title", "notes")]
    rows += [("target", ", ".join(table.target)),
             ("paired items", f"{table.pairing.n_paired:,} (only before: "
                              f"{table.pairing.only_before:,}, only after: "
                              f"{table.pairing.only_after:,})")]  # fmt: skip
    body = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
    return f'<table class="subject">{body}</table>'


def _gate(report: Report) -> str:
    gate = report.gate
    if gate is None:
        return ""
    if gate.passed:
        head = '<p class="pass"><strong>Gate: PASSED</strong>'
    elif gate.inconclusive:
        head = f'<p class="fail"><strong>Gate: {escape(headline(gate))}</strong>'
    else:
        head = f'<p class="fail"><strong>Gate: FAILED</strong> — {len(gate.failures)} significant degradation(s)'
    head += f" (cells checked: {escape(str(gate.settings.get('cells', '')))})</p>"
    items = "".join(
        f"<li><strong>{escape(f.attribute)} / {escape(f.context)}</strong> "
        f"({escape(f.metric)}): {escape(f.reason)}</li>"
        for f in gate.failures
    )
    items += "".join(
        f"<li>not failed, {why}: <strong>{escape(f.attribute)} / "
        f"{escape(f.context)}</strong> ({escape(f.metric)}): {escape(f.reason)}</li>"
        for why, found in (
            ("too few seeds agree", gate.unconfirmed),
            ("within the allowed change", gate.tolerated),
        )
        for f in found
    )
    if gate.refused:
        head = (
            '<p class="fail"><strong>Gate: REFUSED</strong> — it cannot judge, so it does '
            "not pass</p>"
        )
        items = "".join(f"<li>{escape(r)}</li>" for r in gate.refusals) + items
    rule = f'<p class="rule">{escape(gate.rule)} ({gate.settings.get("family", 0)} tests)</p>'
    return head + (f"<ul>{items}</ul>" if items else "") + _judgements(gate) + rule


def _judgements(gate: GateResult) -> str:
    """The mode that judged; in non-inferiority mode a table of each checked cell's bound."""
    from auditor.reports.judgements import HEADERS, mode_line, row

    out = f'<p class="rule">{escape(mode_line(gate))}</p>'
    if gate.judgements:
        head = "".join(f"<th>{escape(h)}</th>" for h in HEADERS)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row(j)) + "</tr>"
            for j in gate.judgements
        )
        out += f'<table class="judgements"><tr>{head}</tr>{body}</table>'
    return out


def _figure(table: SpilloverTable, title: str) -> str:
    try:
        from auditor.reports.figure import figure_svg

        svg = figure_svg(table, title)
    except Exception as exc:  # no matplotlib: the report stands without the picture
        from auditor.core.errors import InputError

        if not isinstance(exc, InputError):
            raise
        return f"<p><small>{escape(str(exc))}</small></p>"
    return f'<div class="figure">{svg}</div>'


def _grid(table: SpilloverTable) -> str:
    head = ("attribute", "ambig accuracy", "ambig bias", "disambig accuracy", "disambig bias",
            "overall accuracy")  # fmt: skip
    rows = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for attribute in table.attributes:
        target = attribute in table.target
        cells = [f"◆ {escape(attribute)} (target)" if target else escape(attribute)]
        for context in COLUMNS:
            cell = table.cell(attribute, context)
            changes: list[AccuracyChange | BiasChange | None]
            changes = [cell.accuracy, *([cell.bias] if context != "overall" else [])] if cell \
                else [None] * (1 if context == "overall" else 2)  # fmt: skip
            for change in changes:
                if change is None:
                    cells.append("…")
                    continue
                text = (  # the first is the accuracy
                    accuracy_cell(change)
                    if isinstance(change, AccuracyChange)
                    else bias_cell(change)
                )
                css = change.verdict if change.verdict in ("degraded", "improved") else ""
                cells.append(f'<span class="{css}">{escape(text)}</span>' if css else escape(text))
        row_class = ' class="target"' if target else ""
        rows.append(f"<tr{row_class}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "".join(rows) + "</table>"


def _legend(table: SpilloverTable) -> str:
    method = METHOD.get(table.correction, table.correction)
    return (
        f"Δ = after − before (accuracy in percentage points; bias score on BBQ's −1…+1 "
        f"scale, — where undefined). Markers on {method}-corrected p over "
        f"{len(table.family)} tests: * p<0.05, ** p<0.01, *** p<0.001; ▲/▼ direction of Δ. "
        f"Verdicts at α = {table.alpha:g}: {SHORT['degraded']} = accuracy fell, or |bias| "
        f"moved away from 0; n.s. = no significant change. Accuracy: "
        f"{accuracy_test_name(table.accuracy_test)} test, Newcombe paired CI. Bias: paired cluster bootstrap "
        f"over template instances ({table.n_boot:,} resamples, seed {table.seed})."
    )


def _flips(flips: Sequence[dict[str, Any]]) -> str:
    if not flips:
        return ""
    by_cell: defaultdict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in flips:
        by_cell[row["attribute"], row["context_condition"]].append(row)
    parts = [
        "<h2>Flipped items</h2>",
        "<p>Items whose correctness changed between the two runs, per cell.</p>",
    ]
    for (attribute, context), rows in sorted(by_cell.items()):
        worse = sum(r["status"] == "flipped_to_wrong" for r in rows)
        parts.append(
            f"<details><summary>{escape(attribute)} / {escape(context)}: "
            f"{len(rows)} flipped ({worse} to wrong, {len(rows) - worse} to right)"
            "</summary><table><tr><th>item</th><th>context and question</th>"
            "<th>options</th><th>before</th><th>after</th></tr>"
        )
        for r in rows:
            options = "<br>".join(
                f"{o['letter']}. {escape(o['text'])} "
                f"<small>({escape(str(o['role'] or '—'))})</small>"
                for o in r["options"]
            )
            parts.append(
                f"<tr><td>{escape(r['id'])}</td><td>{escape(r['context'])}<br><em>"
                f"{escape(r['question'])}</em></td><td>{options}</td>"
                f"<td>{_answer(r['before'])}</td><td>{_answer(r['after'])}</td></tr>"
            )
        parts.append("</table></details>")
    return "\n".join(parts)


def _answer(answer: dict[str, Any] | None) -> str:
    if answer is None:
        return "—"
    mark = "right" if answer["correct"] else "wrong"
    letter = answer["letter"] or "invalid"
    return f"{escape(letter)} ({escape(str(answer['role'] or '—'))}, {mark})"
