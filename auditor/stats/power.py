"""Power of the exact McNemar test: the minimum detectable effect (MDE) of a cell.

A paired cell of ``n`` items with discordance rate ψ = (b + c) / n (items whose
correctness changed) is modelled as n independent items, each discordant with
probability ψ; a discordant item went wrong→right with probability π = (ψ + Δ) / (2ψ),
so Δ is the change in accuracy. The exact test rejects when min(b, c) ≤ k(d), k(d) the
largest count with two-sided p = 2·P(X ≤ k) < level, X ~ Binomial(d, ½), d = b + c.
Power sums over the number of discordant items D ~ Binomial(n, ψ) (unconditional
power, as in Duffy 1984, Biometrics 40:1005). The MDE is the smallest |Δ| with power
≥ 80 %; a change of Δ needs at least |Δ| discordance, so ψ is held at
max(observed ψ, |Δ|). None when even Δ = 100 % could not reach the level with n items.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from auditor.stats.corrections import adjust

POWER = 0.8


def critical_counts(d: np.ndarray, level: float) -> np.ndarray:
    """k(d): the largest min(b, c) the exact test rejects at ``level`` with d = b + c
    discordant items (−1 where no split reaches it)."""
    from scipy.stats import binom

    d = np.asarray(d, dtype=np.int64)
    k = binom.ppf(level / 2.0, d, 0.5)
    k = np.where(np.isnan(k), 0, k).astype(np.int64)  # ppf is NaN only for d = 0
    # ppf gives the smallest k with P(X ≤ k) ≥ level/2; the test needs 2·P(X ≤ k) < level
    k = np.where(2.0 * binom.cdf(k, d, 0.5) < level, k, k - 1)
    counts: np.ndarray = np.minimum(k, (d - 1) // 2)  # scipy is untyped: k is Any
    return counts


def mcnemar_power(n: int, discordance: float, delta: float, level: float) -> float:
    """Power of the two-sided exact McNemar test at ``level`` for a true Δ (unconditional
    over the number of discordant items)."""
    from scipy.stats import binom

    psi = min(1.0, max(float(discordance), abs(float(delta))))
    if n <= 0 or psi <= 0.0:
        return 0.0
    d, weight, k = _support(int(n), psi, float(level))
    pi = min(1.0, max(0.0, (psi + delta) / (2.0 * psi)))
    reject = binom.cdf(k, d, pi) + binom.sf(d - k - 1, d, pi)  # c ≤ k or c ≥ d − k
    return float(np.sum(weight * np.where(k >= 0, reject, 0.0)))


@lru_cache(maxsize=4096)
def _support(n: int, psi: float, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The likely discordant counts d ≥ 1 (all but 1e-12 of the mass), their
    Binomial(n, ψ) weights and critical counts."""
    from scipy.stats import binom

    lo, hi = (int(binom.ppf(1e-12, n, psi)), int(binom.isf(1e-12, n, psi))) if psi < 1 else (n, n)
    d = np.arange(max(lo, 1), max(hi, 1) + 1)
    return d, binom.pmf(d, n, psi), critical_counts(d, level)


@lru_cache(maxsize=4096)
def mde(n: int, discordance: float, level: float, power: float = POWER) -> float | None:
    """The smallest |Δaccuracy| the exact McNemar test detects with ``power`` at ``level``
    on ``n`` paired items with discordance rate ``discordance``; None if none can."""
    from scipy.optimize import brentq

    if n <= 0 or not 0.0 < level < 1.0:
        return None
    if mcnemar_power(n, discordance, 1.0, level) < power:
        return None

    def gap(delta: float) -> float:
        return mcnemar_power(n, discordance, delta, level) - power

    if gap(1e-9) >= 0:
        return 0.0
    return float(brentq(gap, 1e-9, 1.0, xtol=1e-5))


def items_needed(
    effect: float, discordance: float, level: float, power: float = POWER, limit: int = 10_000_000
) -> int | None:
    """The fewest paired items at which ``effect`` is the MDE or less; None beyond ``limit``."""
    if not 0.0 < effect <= 1.0:
        raise ValueError(f"effect must be in (0, 1], got {effect}")

    def enough(n: int) -> bool:
        return mcnemar_power(n, discordance, effect, level) >= power

    high = 2
    while not enough(high):
        if high >= limit:
            return None
        high = min(limit, high * 2)
    low = high // 2  # not enough at low (or low < 2)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if enough(mid) else (mid, high)
    return high


def cell_level(pvalues: Sequence[float], index: int, method: str, alpha: float) -> float:
    """The raw p below which test ``index`` would be significant after correcting the
    family ``pvalues`` with ``method`` ("holm" or "bh") at ``alpha``, the other tests
    unchanged (found by bisection; a test checks it against ``corrections.adjust``)."""
    p = np.asarray(pvalues, dtype=float).copy()

    def significant(t: float) -> bool:
        p[index] = t
        return bool(adjust(p, method)[index] < alpha)

    low, high = 0.0, alpha  # no correction lets a raw p ≥ alpha through
    if significant(math.nextafter(high, 0.0)):
        return high
    for _ in range(60):
        mid = (low + high) / 2.0
        low, high = (mid, high) if significant(mid) else (low, mid)
    return high
