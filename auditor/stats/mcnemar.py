"""Paired accuracy tests: McNemar's test (exact, mid-p, χ²) and Newcombe's paired CI.

Conventions: ``b`` counts items right before and wrong after, ``c`` items wrong before
and right after; a paired run of ``n`` items has Δaccuracy = (c − b) / n (after − before).
"""

from __future__ import annotations

from auditor.stats.metrics import wilson_ci

TESTS: tuple[str, ...] = ("exact", "midp", "chi2")
"""McNemar variants: exact binomial (default), mid-p, χ² with continuity correction."""


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p: 2·P(X ≤ min(b, c)), X ~ Binomial(b + c, ½), capped at 1."""
    from scipy.stats import binom

    n = b + c
    if n == 0:
        return 1.0
    return float(min(1.0, 2.0 * binom.cdf(min(b, c), n, 0.5)))


def mcnemar_midp(b: int, c: int) -> float:
    """Mid-p McNemar: the exact p less P(X = min(b, c)) (Fagerland et al. 2013)."""
    from scipy.stats import binom

    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    return float(min(1.0, 2.0 * binom.cdf(k, n, 0.5) - binom.pmf(k, n, 0.5)))


def mcnemar_chi2(b: int, c: int) -> float:
    """McNemar χ² with continuity correction, (|b − c| − 1)² / (b + c) on 1 df; 1 if b + c = 0."""
    from scipy.stats import chi2

    n = b + c
    if n == 0:
        return 1.0
    return float(chi2.sf((abs(b - c) - 1) ** 2 / n, 1))


def mcnemar(b: int, c: int, test: str = "exact") -> float:
    """The p-value of McNemar variant ``test`` (one of TESTS)."""
    if test == "exact":
        return mcnemar_exact(b, c)
    if test == "midp":
        return mcnemar_midp(b, c)
    if test == "chi2":
        return mcnemar_chi2(b, c)
    raise ValueError(f"unknown McNemar test {test!r}: expected one of {', '.join(TESTS)}")


def newcombe_paired_ci(
    a: int, b: int, c: int, d: int, alpha: float = 0.05
) -> tuple[float, float] | None:
    """CI for after − before accuracy on paired items: Newcombe (1998) method 10.

    ``a`` right in both runs, ``b`` right→wrong, ``c`` wrong→right, ``d`` wrong in both.
    Square-and-add of the two Wilson intervals with the continuity-adjusted correlation
    φ of Newcombe's paper (the form in Fagerland, Lydersen & Laake's book). None if n = 0.
    """
    n = a + b + c + d
    if n == 0:
        return None
    k1, k2 = a + b, a + c  # right before, right after
    p1, p2 = k1 / n, k2 / n
    l1, u1 = wilson_ci(k1, n, alpha)
    l2, u2 = wilson_ci(k2, n, alpha)
    phi = 0.0
    if 0 < k1 < n and 0 < k2 < n:
        cross: float = a * d - b * c
        if cross > n / 2:
            cross -= n / 2
        elif cross >= 0:
            cross = 0.0
        phi = cross / ((k1 * (n - k1) * k2 * (n - k2)) ** 0.5)
    delta = p2 - p1
    lower = delta - ((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2) ** 0.5
    upper = delta + ((u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2) ** 0.5
    return max(-1.0, lower), min(1.0, upper)
