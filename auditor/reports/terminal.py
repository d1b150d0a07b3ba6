"""The rich table for terminals, and the same rendered to plain text for files."""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.text import Text

from auditor.reports.document import Report


def renderables(report: Report) -> list:
    """What to print: the spillover table, the target on all items, the gate's verdict."""
    from auditor.reports.rich import render_replicates, render_table

    parts: list = [render_table(report.table)]
    if report.table.seeds:
        parts.append(render_replicates(report.table))
    if report.target_all is not None:
        extra = render_table(report.target_all)
        extra.title = "Target attribute on all its evaluated items (training items included)"
        parts.append(extra)
    gate = report.gate
    if gate is not None:
        if gate.refused:
            parts.append(Text(f"gate: REFUSED — cannot judge, so it does not pass "
                              f"({len(gate.refusals)} reasons)", style="bold red"))
            parts += [Text(f"  ? {why}") for why in gate.refusals]
        elif gate.passed:
            parts.append(Text(f"gate: PASSED ({len(gate.checked)} cells checked)", style="green"))
        else:
            parts.append(Text(f"gate: FAILED ({len(gate.failures)} failing)", style="bold red"))
            for f in gate.failures:
                parts.append(Text(f"  ✗ {f.attribute} / {f.context} {f.metric}: {f.reason}"))
        parts += [Text(f"  ~ not failed, too few seeds agree: {f.attribute} / {f.context} "
                       f"{f.metric}: {f.reason}", style="yellow") for f in gate.unconfirmed]
    return parts


def to_text(report: Report, width: int = 140) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, no_color=True, force_terminal=False).print(
        Group(*renderables(report)))
    return buffer.getvalue()
