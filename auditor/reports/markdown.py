"""A Markdown report that fits a CI job summary: the table with markers, and a legend."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.core.textsafe import visible
from auditor.reports.alternatives import accuracy_test_name, markdown_lines
from auditor.reports.cells import DASH, accuracy_cell, bias_cell, pct, verdict_text
from auditor.reports.document import Report
from auditor.stats.table import SpilloverTable

if TYPE_CHECKING:
    from auditor.audit.gate import GateResult

METHOD = {"holm": "Holm", "bh": "Benjamini–Hochberg"}


def to_markdown(report: Report) -> str:
    table = report.table
    title = report.subject.get("title", "comparison")
    lines = [f"## Bias spillover: {_md(title)}", ""]
    lines += [f"> **Note:** {_md(note)}\n" for note in report.subject.get("notes", ())]
    if report.subject.get("figure"):
        lines += [
            f"![Forest plot and heatmap of the spillover table](<{report.subject['figure']}>)",
            "",
        ]
    targets = ", ".join(f"**{t}**" for t in table.target)
    lines.append(
        f"Target attribute: {targets}. {table.pairing.n_paired:,} items paired "
        f"(only before: {table.pairing.only_before:,}, only after: "
        f"{table.pairing.only_after:,})."
    )
    if report.gate is not None:
        verdict = (
            "✅ **PASSED**"
            if report.gate.passed
            else (f"❌ **FAILED** — {len(report.gate.failures)} significant degradation(s)")
        )
        if report.gate.inconclusive:
            from auditor.reports.judgements import headline

            verdict = f"⚠️ **{_md(headline(report.gate))}**"
        if report.gate.refused:
            verdict = "⛔ **REFUSED** — the gate cannot judge, so it does not pass: " + "; ".join(
                _md(r) for r in report.gate.refusals
            )
        lines.append(f"Gate: {verdict} (cells checked: {report.gate.settings['cells']}).")
        lines += [
            "",
            f"<sub>{_md(report.gate.rule)} ({report.gate.settings.get('family', 0)} tests)</sub>",
        ]
        lines += _judgements(report.gate)
    lines += ["", *_grid(table)]
    if report.target_all is not None:
        lines += [
            "",
            "Target attribute on all its evaluated items (training items included; "
            "not in the gate's family):",
            "",
            *_grid(report.target_all),
        ]
    lines += _gaps(table)
    lines += markdown_lines(table)
    lines += _controls(report)
    if report.trajectory is not None:
        from auditor.reports.trajectory import markdown_lines as trajectory_lines

        lines += trajectory_lines(report.trajectory)
    if report.gate is not None and report.gate.failures:
        lines += ["", "### Failing cells", ""]
        lines += [
            f"- **{f.attribute} / {f.context}** ({f.metric}): {_md(f.reason)}"
            for f in report.gate.failures
        ]
    if report.gate is not None and report.gate.unconfirmed:
        lines += ["", "### Degraded, but too few seeds agree (not failed)", ""]
        lines += [
            f"- **{f.attribute} / {f.context}** ({f.metric}): {_md(f.reason)}"
            for f in report.gate.unconfirmed
        ]
    if report.gate is not None and report.gate.tolerated:
        lines += ["", "### Degraded, but within the allowed change (not failed)", ""]
        lines += [
            f"- **{f.attribute} / {f.context}** ({f.metric}): {_md(f.reason)}"
            for f in report.gate.tolerated
        ]
    if table.seeds:
        lines += ["", "### Seed replicates", "", *_replicates(table)]
    lines += ["", _legend(table)]
    return "\n".join(lines) + "\n"


def _judgements(gate: GateResult) -> list[str]:
    """The mode that judged; in non-inferiority mode each checked cell's bound."""
    from auditor.reports.judgements import HEADERS, mode_line, row

    lines = ["", f"Mode: {_md(mode_line(gate))}."]
    if gate.judgements:
        lines += ["", "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
        lines += ["| " + " | ".join(_md(c) for c in row(j)) + " |" for j in gate.judgements]
    return lines


def _gaps(table: SpilloverTable) -> list[str]:
    """The bias-aligned accuracy gap per attribute (disambiguated contexts)."""
    if not table.gaps:
        return []
    from auditor.reports.cells import pct

    lines = [
        "",
        "### Bias-aligned accuracy gap (disambiguated contexts)",
        "",
        "Accuracy when the correct answer is the biased option minus accuracy when it is "
        "the anti-biased one, in percentage points; Δ = after − before, paired cluster "
        "bootstrap over template instances, corrected over these rows only.",
        "",
        "| attribute | items (biased / anti-biased) | gap before → after | Δ | CI | p corrected |",
        "|---|---|---|---|---|---|",
    ]
    for g in table.gaps:
        ci = DASH if g.ci is None else f"[{pct(g.ci[0], True)}, {pct(g.ci[1], True)}]"
        delta = DASH if g.delta is None else f"{pct(g.delta, True)} pp {g.marker}".rstrip()
        p = DASH if g.p_corrected is None else f"{g.p_corrected:.3g}"
        label = f"◆ **{g.attribute}**" if g.attribute in table.target else g.attribute
        lines.append(
            f"| {label} | {g.n_biased} / {g.n_anti_biased} | {pct(g.before, True)} → "
            f"{pct(g.after, True)} | {delta} | {ci} | {p} |"
        )
    return lines


def _controls(report: Report) -> list[str]:
    """Option-order rotation and the format-transfer table with its readings."""
    lines: list[str] = []
    if report.rotation is not None:
        from auditor.reports.rotation import change_lines

        lines += ["", "### Option-order rotation", ""]
        lines += [f"- {_md(line)}" for line in change_lines(report.rotation)]
    if report.transfer is not None:
        from auditor.stats.transfer import cell_line

        lines += [
            "",
            f"### Format transfer ({_md(report.transfer_format)})",
            "",
            f"The same base and aligned models in the {_md(report.transfer_format)} "
            "format, which alignment never saw (not in the gate's family):",
            "",
            *_grid(report.transfer),
            "",
            "Reading per cell:",
            "",
        ]
        for attribute in report.table.attributes:
            for context in ("ambig", "disambig", "overall"):
                line = cell_line(report.transfer_readings, attribute, context)
                if line:
                    lines.append(f"- **{_md(attribute)} / {context}**: {line}")
    return lines


def _grid(table: SpilloverTable) -> list[str]:
    head = (
        "attribute",
        "ambig accuracy",
        "ambig bias",
        "disambig accuracy",
        "disambig bias",
        "overall accuracy",
    )
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for attribute in table.attributes:
        label = f"◆ **{attribute}** (target)" if attribute in table.target else attribute
        cells = [label]
        for context in ("ambig", "disambig", "overall"):
            cell = table.cell(attribute, context)
            cells.append(accuracy_cell(cell.accuracy) if cell else "…")
            if context != "overall":
                cells.append(bias_cell(cell.bias) if cell else "…")
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return rows


def _show_accuracy(value: float | None) -> str:
    return f"{pct(value, True)} pp"


def _show_bias(value: float | None) -> str:
    return DASH if value is None else f"{value:+.3f}"


def _replicates(table: SpilloverTable) -> list[str]:
    """Every cell × metric: each seed's own Δ, their mean, the pooled p and agreement."""
    seeds = ", ".join(f"seed {s}" for s in table.seeds)
    rows = [
        f"| attribute | context | metric | {seeds.replace(', ', ' | ')} | mean Δ | "
        "pooled p | corrected p | verdict |",
        "|" + "---|" * (7 + len(table.seeds)),
    ]
    for attribute in table.attributes:
        for context in ("ambig", "disambig", "overall"):
            cell = table.cell(attribute, context)
            if cell is None:
                continue
            for metric, change in (("accuracy", cell.accuracy), ("bias", cell.bias)):
                if change.delta is None:
                    continue
                show = _show_accuracy if metric == "accuracy" else _show_bias
                deltas = [DASH if s.delta is None else show(s.delta) for s in change.seeds]
                rows.append(
                    "| "
                    + " | ".join(
                        (
                            attribute,
                            context,
                            metric,
                            *deltas,
                            show(change.delta),
                            _p(change.p),
                            _p(change.p_corrected),
                            verdict_text(change),
                        )
                    )
                    + " |"
                )
    return rows


def _p(value: float | None) -> str:
    return DASH if value is None else f"{value:.2g}"


def _legend(table: SpilloverTable) -> str:
    method = METHOD.get(table.correction, table.correction)
    return (
        f"<sub>Δ = after − before (accuracy in percentage points; bias score on BBQ's −1…+1 "
        f"scale, {DASH} where undefined). Markers on {method}-corrected p over "
        f"{len(table.family)} tests: `*` p<0.05, `**` p<0.01, `***` p<0.001; ▲/▼ direction "
        f"of Δ. Verdicts at α = {table.alpha:g}: DEGRADED = accuracy fell, or |bias| moved "
        f"away from 0; n.s. = no significant change. Accuracy: "
        f"{accuracy_test_name(table.accuracy_test)} test, Newcombe paired CI; an n.s. cell shows its MDE, the "
        f"smallest change the exact test detects with 80 % power at the cell's corrected "
        f"level. Bias: paired cluster bootstrap over template instances ({table.n_boot:,} "
        f"resamples, seed {table.seed}); an n.s. cell shows its CI width."
        + (
            f" Seed replicates ({len(table.seeds)} DPO seeds, one shared baseline): Δ is the "
            "mean over seeds; accuracy p from an exact sign-flip test over template "
            "instances, bias p from a cluster bootstrap drawing the same instances for all "
            "runs; (k/n seeds) counts the seeds whose own verdict matches."
            if table.seeds
            else ""
        )
        + "</sub>"
    )


def _md(text: str) -> str:
    """Markdown-escaped text with control characters made visible."""
    return "".join("\\" + ch if ch in "\\`*_[]<>|" else ch for ch in visible(text, one_line=True))
