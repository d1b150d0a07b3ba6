"""The non-inferiority side of the gate: is each checked cell *shown* within its margin?

Per checked cell and metric, the one-sided (1 − α) upper bound on the degradation
(``stats.noninferiority``: accuracy drop, growth of |bias score|) is held against the
margin allowed for that attribute:
- *non-inferior*: the bound lies below the margin;
- *inconclusive*: it does not (too few items, or a drop the data cannot exclude); the
  judgement says how many paired items the cell would need.
A cell whose corrected test calls it degraded beyond the allowed amount fails the gate
whatever its bound (``audit.gate``). The gate passes only when no cell fails and every
checked cell is non-inferior on both metrics; by the intersection–union principle
(Berger 1982) that keeps the chance of a false pass at α with no multiplicity correction.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from auditor.core.errors import InputError
from auditor.stats.noninferiority import METHOD, Bound, items_needed

NON_INFERIOR, INCONCLUSIVE = "non-inferior", "inconclusive"
RULE = (
    "non-inferiority: PASS only when no checked cell is degraded and every checked "
    "cell's one-sided {level:g} % upper bound on its degradation lies below its margin; "
    "by the intersection–union principle the false-pass rate is at most α = {alpha:g} "
    "without a multiplicity correction"
)


@dataclass(frozen=True)
class Judgement:
    """One checked cell's metric, held against its margin."""

    attribute: str
    context: str
    metric: str  # "accuracy" | "bias"
    estimate: float | None
    upper: float | None  # None: no bound could be computed
    margin: float
    verdict: str  # NON_INFERIOR | INCONCLUSIVE | "degraded" (set by the gate on a failure)
    items_needed: int | None  # for an inconclusive cell: None when no number would do
    n: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def reason(self) -> str:
        what = "accuracy drop" if self.metric == "accuracy" else "growth of |bias score|"
        scale = 100.0 if self.metric == "accuracy" else 1.0
        unit = " pp" if self.metric == "accuracy" else ""
        bound = "undefined" if self.upper is None else f"{scale * self.upper:.3g}{unit}"
        head = (
            f"{self.attribute}/{self.context}: upper bound on the {what} {bound}, "
            f"margin {scale * self.margin:.3g}{unit}"
        )
        if self.verdict == NON_INFERIOR:
            return head
        need = (
            f"about {self.items_needed} paired items would be needed"
            if self.items_needed
            else "more items would not settle it at this estimate"
        )
        return f"{head} over {self.n} items: {need}"


def margin_overrides(entries: tuple[str, ...], field: str) -> dict[str, float]:
    """Per-attribute margins from ``ATTRIBUTE=MARGIN`` entries (``gate.<field>``)."""
    found: dict[str, float] = {}
    for entry in entries:
        name, sep, value = entry.partition("=")
        try:
            margin = float(value)
        except ValueError:
            margin = math.nan
        if not sep or not name.strip() or not math.isfinite(margin) or margin < 0:
            raise InputError(
                f"gate.{field}: {entry!r} must read ATTRIBUTE=MARGIN with a finite margin ≥ 0"
            )
        if name.strip() in found:
            raise InputError(f"gate.{field}: {name.strip()} is given twice")
        found[name.strip()] = margin
    return found


def judge(
    bound: Bound | None, attribute: str, context: str, metric: str, margin: float, alpha: float
) -> Judgement:
    """Hold one cell's bound against its margin."""
    upper = math.inf if bound is None else bound.upper(alpha)
    finite = math.isfinite(upper)
    verdict = NON_INFERIOR if finite and upper < margin else INCONCLUSIVE
    needed = None
    if verdict == INCONCLUSIVE and bound is not None:
        needed = items_needed(bound, margin, alpha)
    estimate = bound.estimate if bound is not None and math.isfinite(bound.estimate) else None
    return Judgement(
        attribute,
        context,
        metric,
        estimate,
        upper if finite else None,
        margin,
        verdict,
        needed,
        0 if bound is None else bound.n,
    )


def rule(alpha: float) -> str:
    return RULE.format(level=100 * (1 - alpha), alpha=alpha) + f" (bound: {METHOD})"
