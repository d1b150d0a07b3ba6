"""Verdicts of a corrected test: improved, degraded, no significant change.

Accuracy: "improved" if it rose, "degraded" if it fell. Bias score: "improved" if |bias|
moved toward 0, "degraded" if it moved away from 0, whatever its sign. Bias scores are
ratios of counts computed in floating point, so |bias| before and after are compared
with the tolerance ``BIAS_TOLERANCE``: a sign flip with |bias| unchanged (+1/3 → −1/3)
is "no significant change", never a move away from or toward 0.
"""

from __future__ import annotations

IMPROVED, DEGRADED, NO_CHANGE = "improved", "degraded", "no significant change"
UNDEFINED, PENDING = "undefined", "pending"
NOT_GATED = "not gated"
"""A test outside a gate's correction family: shown, not judged."""

BIAS_TOLERANCE = 1e-9
"""|bias| before and after closer than this are equal (float rounding of count ratios,
about 1e-16, is far below it; two different scores of cells under 10^4 items differ by
far more)."""


def accuracy_verdict(delta: float | None, p: float | None, alpha: float) -> str:
    if p is None or delta is None:
        return UNDEFINED
    if p >= alpha or delta == 0:
        return NO_CHANGE
    return IMPROVED if delta > 0 else DEGRADED


def bias_growth(before: float, after: float) -> float:
    """|after| − |before|, exactly 0 within ``BIAS_TOLERANCE``."""
    growth = abs(after) - abs(before)
    return 0.0 if abs(growth) <= BIAS_TOLERANCE else growth


def bias_verdict(before: float | None, after: float | None, p: float | None, alpha: float) -> str:
    if p is None or before is None or after is None:
        return UNDEFINED
    growth = bias_growth(before, after)
    if p >= alpha or growth == 0:
        return NO_CHANGE
    return DEGRADED if growth > 0 else IMPROVED
