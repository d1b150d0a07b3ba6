"""The gate's mode and its non-inferiority judgements, as text every report shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.audit.noninferiority import NON_INFERIOR, Judgement

if TYPE_CHECKING:
    from auditor.audit.gate import GateResult

HEADERS = ("cell", "metric", "estimate", "upper bound", "margin", "judgement", "items needed")


def mode_line(gate: GateResult) -> str:
    """Which mode judged, and with which margins."""
    settings = gate.settings
    if gate.mode != "noninferiority":
        return (
            "judged in significance mode: a cell fails only when its degradation is "
            "significant after correction; a cell not shown degraded passes"
        )
    overrides = [*settings.get("accuracy_margins", ()), *settings.get("bias_margins", ())]
    extra = f"; per attribute: {', '.join(overrides)}" if overrides else ""
    return (
        f"judged in non-inferiority mode: margins {100 * settings['margin_accuracy']:g} pp "
        f"on accuracy drops, {settings['margin_bias']:g} on the growth of |bias score|"
        f"{extra}"
    )


def inconclusive_of(gate: GateResult) -> tuple[Judgement, ...]:
    return tuple(j for j in gate.judgements if j.verdict == "inconclusive")


def headline(gate: GateResult) -> str:
    """INCONCLUSIVE's headline (how many checked metrics were not shown non-inferior)."""
    return (
        f"INCONCLUSIVE — {len(inconclusive_of(gate))} of {len(gate.judgements)} checked "
        "cell metrics not shown non-inferior"
    )


def _amount(j: Judgement, value: float | None) -> str:
    if value is None:
        return "undefined"
    return f"{100 * value:.2f} pp" if j.metric == "accuracy" else f"{value:.3f}"


def row(j: Judgement) -> tuple[str, ...]:
    """One judgement as HEADERS' cells (plain text)."""
    needed = (
        ""
        if j.verdict in (NON_INFERIOR, "degraded")
        else (f"{j.items_needed:,}" if j.items_needed else "no number would do")
    )
    return (
        f"{j.attribute} / {j.context}",
        j.metric,
        _amount(j, j.estimate),
        _amount(j, j.upper),
        _amount(j, j.margin),
        j.verdict,
        needed,
    )


def line(j: Judgement) -> str:
    """One judgement on one line."""
    cell, metric, estimate, upper, margin, verdict, needed = row(j)
    sign = "<" if j.verdict == NON_INFERIOR else "≥"
    tail = f", paired items needed: {needed}" if needed else ""
    return (
        f"{cell} {metric}: upper bound {upper} {sign} margin {margin} (estimate "
        f"{estimate}, {j.n} items) — {verdict}{tail}"
    )
