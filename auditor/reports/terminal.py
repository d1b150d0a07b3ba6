"""The rich table for terminals, and the same rendered to plain text for files."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.text import Text

from auditor.reports.alternatives import summary_line
from auditor.reports.document import Report

if TYPE_CHECKING:
    from auditor.audit.gate import GateResult


def renderables(report: Report, width: int = 140) -> list[RenderableType]:
    """What to print: the spillover table (with the bias-aligned accuracy gap as a last
    column when that fits in ``width``, else as a table of its own), the seed replicates,
    the target on all items, the format controls, the trajectory, the gate's verdict."""
    from auditor.reports.rich import render_gaps, render_replicates, render_table

    head = subject_lines(report)
    parts: list[RenderableType] = [*head, render_table(report.table)]
    if report.table.gaps:
        wide = render_table(report.table, show_gap=True)
        if _natural_width(wide) <= width:
            parts = [*head, wide]
        else:
            parts.append(render_gaps(report.table))
    if report.table.seeds:
        parts.append(render_replicates(report.table))
    alternatives = summary_line(report.table)
    if alternatives:
        parts.append(Text(alternatives))
    if report.target_all is not None:
        extra = render_table(report.target_all)
        extra.title = "Target attribute on all its evaluated items (training items included)"
        parts.append(extra)
    parts += control_parts(report)
    if report.trajectory is not None:
        from auditor.reports.trajectory import render_trajectory

        parts.append(render_trajectory(report.trajectory))
    gate = report.gate
    if gate is not None:
        if gate.refused:
            parts.append(
                Text(
                    f"gate: REFUSED — cannot judge, so it does not pass "
                    f"({len(gate.refusals)} reasons)",
                    style="bold red",
                )
            )
            parts += [Text(f"  ? {why}") for why in gate.refusals]
        elif gate.passed:
            parts.append(Text(f"gate: PASSED ({len(gate.checked)} cells checked)", style="green"))
        elif gate.inconclusive:
            from auditor.reports.judgements import headline

            parts.append(Text(f"gate: {headline(gate)}", style="bold yellow"))
        else:
            parts.append(Text(f"gate: FAILED ({len(gate.failures)} failing)", style="bold red"))
            for f in gate.failures:
                parts.append(Text(f"  ✗ {f.attribute} / {f.context} {f.metric}: {f.reason}"))
        parts += [
            Text(
                f"  ~ not failed, too few seeds agree: {f.attribute} / {f.context} "
                f"{f.metric}: {f.reason}",
                style="yellow",
            )
            for f in gate.unconfirmed
        ]
        parts += [
            Text(
                f"  ~ not failed, within the allowed change: {f.attribute} / "
                f"{f.context} {f.metric}: {f.reason}",
                style="yellow",
            )
            for f in gate.tolerated
        ]
        parts += judgement_parts(gate)
        parts.append(
            Text(f"  rule: {gate.rule} ({gate.settings.get('family', 0)} tests)", style="dim")
        )
    return parts


def subject_lines(report: Report) -> list[RenderableType]:
    """A candidate's report opens with what it compares; every report's notes follow."""
    from auditor.core.textsafe import visible

    subject = report.subject
    lines: list[RenderableType] = []
    if subject.get("candidate"):
        lines.append(Text(visible(subject.get("title", ""), one_line=True), style="bold"))
    return lines + [
        Text(f"note: {visible(n, one_line=True)}", style="yellow") for n in subject.get("notes", ())
    ]


def _natural_width(renderable: RenderableType) -> int:
    from rich.measure import Measurement

    console = Console(width=10_000, file=io.StringIO())
    return Measurement.get(console, console.options, renderable).maximum


def to_text(report: Report, width: int = 140) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, no_color=True, force_terminal=False).print(
        Group(*renderables(report, width))
    )
    return buffer.getvalue()


def control_parts(report: Report) -> list[RenderableType]:
    """Format controls: the rotation summary, and the format-transfer table with a reading
    per cell."""
    parts: list[RenderableType] = []
    if report.rotation is not None:
        from auditor.reports.rotation import change_lines

        parts += [Text(line) for line in change_lines(report.rotation)]
    if report.transfer is not None:
        from auditor.reports.rich import render_table
        from auditor.stats.transfer import cell_line

        extra = render_table(report.transfer)
        extra.title = (
            f"Format transfer: the same models in the {report.transfer_format} "
            "format (never trained on)"
        )
        parts.append(extra)
        parts.append(Text("Reading per cell (trained format vs format transfer):"))
        for attribute in report.table.attributes:
            for context in ("ambig", "disambig", "overall"):
                line = cell_line(report.transfer_readings, attribute, context)
                if line:
                    parts.append(Text(f"  {attribute} / {context}: {line}"))
    return parts


def judgement_parts(gate: GateResult) -> list[RenderableType]:
    """The mode that judged and, in non-inferiority mode, every checked cell's bound."""
    from auditor.reports.judgements import line, mode_line

    parts: list[RenderableType] = [Text(f"  {mode_line(gate)}")]
    for j in gate.judgements:
        mark, style = {"non-inferior": ("✓", "green"), "degraded": ("✗", "red")}.get(
            j.verdict, ("?", "yellow")
        )
        parts.append(Text(f"  {mark} {line(j)}", style=style))
    return parts
