"""Exact randomization test of a bias-score change over few template instances.

The bootstrap-SE p of ``bootstrap`` is a large-sample approximation: with few clusters it
is anti-conservative (6 items in 3 instances could read p = 0.0014). A cell with few
template instances is therefore tested exactly. Under H0 the runs' answers within an
instance are exchangeable (alignment changed nothing there), so relabelling the runs
inside any subset of instances leaves the distribution of Δ unchanged. With two runs
that is swapping before and after in each instance: 2^k patterns, two of which (none
and all swapped) give ±Δ, so p ≥ 2^(1−k) — 0.25 for 3 instances. With R runs (a
baseline and R − 1 seeds) the runs are rotated cyclically within each instance: R^k
patterns. p is the share of all patterns whose |Δ*| ≥ |Δ| (within ``BIAS_TOLERANCE``),
enumerated exactly, no sampling; a pattern whose Δ* is undefined counts as extreme
(conservative). A cell is tested this way when R^k ≤ ``MAX_PATTERNS`` (k ≤ 16 with one
aligned run); larger cells keep the bootstrap.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from auditor.stats.bias import bias_scores
from auditor.stats.bootstrap import cluster_sums
from auditor.stats.frame import ANTI, BIASED, Frame
from auditor.stats.verdicts import BIAS_TOLERANCE

MAX_PATTERNS = 1 << 16
"""The most relabelling patterns enumerated: 16 instances for one aligned run."""


def exact_feasible(runs: int, clusters: int) -> bool:
    """Whether a cell of ``clusters`` instances and ``runs`` runs is tested exactly."""
    return clusters >= 1 and runs >= 2 and runs**clusters <= MAX_PATTERNS


def rotations(runs: int, clusters: int) -> np.ndarray:
    """Every assignment of a cyclic shift (0 … runs − 1) to each instance: runs^k × k."""
    grids = np.meshgrid(*[np.arange(runs)] * clusters, indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1) if clusters else np.zeros((1, 0), int)


def exact_p(
    sums: np.ndarray, score: Callable[[np.ndarray], np.ndarray], observed: float
) -> float | None:
    """Two-sided exact p of Δ = mean(score of runs 1…) − score of run 0.

    ``sums``: k instances × R runs × c columns of integer totals; ``score`` maps a
    patterns × c array of totals to scores (NaN where undefined). None when R^k exceeds
    ``MAX_PATTERNS``.
    """
    clusters, runs, _ = sums.shape
    if not exact_feasible(runs, clusters):
        return None
    shifts = rotations(runs, clusters)
    index = np.arange(clusters)[None, :]
    scores = []
    for slot in range(runs):
        totals = sums[index, (slot + shifts) % runs].sum(axis=1)  # patterns × c
        scores.append(score(totals.astype(float)))
    deltas = np.mean(scores[1:], axis=0) - scores[0]
    extreme = np.isnan(deltas) | (np.abs(deltas) >= abs(observed) - BIAS_TOLERANCE)
    return float(np.count_nonzero(extreme) / deltas.size)


def bias_exact_p(frame: Frame, mask: np.ndarray, ambiguous: bool, observed: float) -> float | None:
    """The exact p of a bias-score cell of ``frame`` (None when it has too many instances)."""
    clusters = int(np.unique(frame.cluster[mask]).size)
    if not exact_feasible(frame.runs, clusters):
        return None
    per_run = []
    for r in range(frame.runs):
        role, correct = frame.role[r, mask], frame.correct[r, mask]
        columns = [role == BIASED, (role == BIASED) | (role == ANTI)]
        if ambiguous:
            columns += [correct, np.ones(role.size, dtype=bool)]
        per_run.append(cluster_sums(frame.cluster[mask], np.stack(columns, axis=1).astype(float)))
    if ambiguous:

        def score(t: np.ndarray) -> np.ndarray:
            return bias_scores(True, t[:, 0], t[:, 1], t[:, 2], t[:, 3])
    else:

        def score(t: np.ndarray) -> np.ndarray:
            return bias_scores(False, t[:, 0], t[:, 1])

    return exact_p(np.stack(per_run, axis=1), score, observed)
