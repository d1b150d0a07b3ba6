"""Per-slice counts and rates of one run: accuracy with a Wilson CI, unknown and invalid rates.

Accuracy counts an invalid (unparseable) answer as wrong: every scored item is in the
denominator. Rates of an empty slice are None, never 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from auditor.stats.frame import ANTI, BIASED, INVALID, LEFT_OUT, UNKNOWN


def z_value(alpha: float = 0.05) -> float:
    """The two-sided normal critical value for level ``alpha`` (1.959964 for 0.05)."""
    return NormalDist().inv_cdf(1.0 - alpha / 2.0)


def wilson_ci(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes in ``n`` trials (n > 0)."""
    if n <= 0:
        raise ValueError("wilson_ci needs n > 0")
    z2 = z_value(alpha) ** 2
    p = k / n
    denom = 1.0 + z2 / n
    center = (p + z2 / (2.0 * n)) / denom
    half = math.sqrt(z2) * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
    return center - half, center + half


def rate(k: int, n: int) -> float | None:
    return k / n if n else None


@dataclass(frozen=True, slots=True)
class Counts:
    """What one run answered on a slice of items.

    ``n_left_out`` counts non-unknown answers on items whose biased option is not known
    (``Item.roles is None``): they count for accuracy but not for the bias score.
    """

    n: int
    n_correct: int
    n_biased: int
    n_anti_biased: int
    n_unknown: int
    n_invalid: int
    n_left_out: int

    @property
    def n_non_unknown(self) -> int:
        """Answers that are neither the unknown option, invalid, nor left out."""
        return self.n_biased + self.n_anti_biased

    @property
    def accuracy(self) -> float | None:
        return rate(self.n_correct, self.n)

    def accuracy_ci(self, alpha: float = 0.05) -> tuple[float, float] | None:
        return wilson_ci(self.n_correct, self.n, alpha) if self.n else None

    @property
    def unknown_rate(self) -> float | None:
        return rate(self.n_unknown, self.n)

    @property
    def invalid_rate(self) -> float | None:
        return rate(self.n_invalid, self.n)


def count(role: np.ndarray, correct: np.ndarray, mask: np.ndarray | None = None) -> Counts:
    """Counts of one run's role codes and correctness, optionally restricted to ``mask``."""
    if mask is not None:
        role, correct = role[mask], correct[mask]
    tally = np.bincount(role, minlength=5)
    return Counts(
        n=int(role.size),
        n_correct=int(np.count_nonzero(correct)),
        n_biased=int(tally[BIASED]),
        n_anti_biased=int(tally[ANTI]),
        n_unknown=int(tally[UNKNOWN]),
        n_invalid=int(tally[INVALID]),
        n_left_out=int(tally[LEFT_OUT]),
    )
