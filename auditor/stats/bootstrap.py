"""Seeded cluster bootstrap of BBQ bias scores over template instances.

A replicate draws as many template instances (``Item.template``) as a slice has, with
replacement, and recomputes the bias score from the drawn instances' items. The draw
counts of C instances are Multinomial(C, 1/C each); instances with identical count
profiles are interchangeable, so the draw is made over the distinct profiles instead
(the group totals of a multinomial are multinomial), which gives exactly the same
distribution as resampling instance by instance at a fraction of the cost. When there
are many distinct profiles for few instances, instance indices are drawn in chunks and
tallied instead (same distribution, cheaper there).
Paired runs share each replicate's draw (same instances for before and after).

CIs are percentile intervals over the defined replicates. The two-sided p-value of a
difference is normal-theory with the bootstrap standard error, 2·Φ(−|Δ| / SD(Δ*)): a
percentile p (interval inversion) cannot go below 2/(B + 1), which a correction over a
family of tests would push above any α. A standard error of 0 means every replicate
gives the same Δ (in practice: every template instance has the same counts before and
after, so each of the C instances shows that Δ); p is then that of a sign test over the
instances, 2^(1 − C) (1 if Δ = 0). A cell with few instances gets the exact p of
``exact`` instead, and one where nothing changed the CI of ``unobserved``.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from auditor.stats.bias import bias_scores
from auditor.stats.frame import ANTI, BIASED, Frame

PROFILE_COST = 12
"""A multinomial draw costs about this many index draws per category (measured): the
profile path is taken when distinct profiles × PROFILE_COST ≤ instances."""

CHUNK_CELLS = 1 << 22
"""Draws per chunk on the index path (bounds memory to a few tens of MB)."""


def cell_rng(seed: int, *keys: str) -> np.random.Generator:
    """A generator for one slice, from the seed and the slice's names.

    The same slice gets the same stream whether it is computed alone or within a table.
    """
    if seed < 0:
        raise ValueError("seed must be >= 0")
    words = [zlib.crc32(k.encode("utf-8")) for k in keys]
    return np.random.default_rng(np.random.SeedSequence([seed, *words]))


def cluster_sums(cluster: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Per-cluster column totals (one row per cluster present) of an items × k array."""
    _, inverse = np.unique(cluster, return_inverse=True)
    inverse = inverse.ravel()
    size = int(inverse.max()) + 1 if inverse.size else 0
    sums = [np.bincount(inverse, weights=col, minlength=size) for col in columns.T]
    return np.rint(np.stack(sums, axis=1)).astype(np.int64)


def resample_totals(sums: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` cluster-bootstrap replicates of the column totals: an n_boot × k array."""
    n_clusters, k = sums.shape
    if n_clusters == 0:
        return np.zeros((n_boot, k))
    profiles, inverse, counts = np.unique(sums, axis=0, return_inverse=True, return_counts=True)
    groups = len(profiles)
    if groups == 1:
        weights = np.full((n_boot, 1), n_clusters, dtype=np.int64)
    elif groups * PROFILE_COST <= n_clusters:
        weights = rng.multinomial(n_clusters, counts / n_clusters, size=n_boot)
    else:
        weights = _tally_draws(inverse.ravel(), groups, n_boot, rng)
    totals: np.ndarray = weights.astype(float) @ profiles.astype(float)
    return totals


def _tally_draws(
    group_of: np.ndarray, groups: int, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    n_clusters = group_of.size
    rows = max(1, CHUNK_CELLS // n_clusters)
    out = np.empty((n_boot, groups), dtype=np.int64)
    for start in range(0, n_boot, rows):
        b = min(rows, n_boot - start)
        picks = group_of[rng.integers(0, n_clusters, size=(b, n_clusters))]
        picks += np.arange(b)[:, None] * groups
        out[start : start + b] = np.bincount(picks.ravel(), minlength=b * groups).reshape(b, groups)
    return out


def bias_replicates(
    frame: Frame,
    mask: np.ndarray,
    ambiguous: bool,
    n_boot: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Bootstrap replicates of the bias score of each run on a one-context slice.

    Returns a runs × n_boot array, NaN where a replicate's score is undefined. Only the
    counts the score needs enter the cluster profiles (s_DIS needs no accuracy), which
    keeps the number of distinct profiles, and so the cost, down.
    """
    role, correct = frame.role[:, mask], frame.correct[:, mask]
    columns = [np.ones(role.shape[1])] if ambiguous else []
    for r in range(frame.runs):
        columns += [role[r] == BIASED, (role[r] == BIASED) | (role[r] == ANTI)]
        if ambiguous:
            columns.append(correct[r])
    sums = cluster_sums(frame.cluster[mask], np.stack(columns, axis=1).astype(float))
    totals = resample_totals(sums, n_boot, rng)
    if not ambiguous:
        return np.stack(
            [bias_scores(False, totals[:, 2 * r], totals[:, 2 * r + 1]) for r in range(frame.runs)]
        )
    n = totals[:, 0]
    return np.stack(
        [
            bias_scores(True, totals[:, 1 + 3 * r], totals[:, 2 + 3 * r], totals[:, 3 + 3 * r], n)
            for r in range(frame.runs)
        ]
    )


def percentile_ci(values: np.ndarray, alpha: float = 0.05) -> tuple[float, float] | None:
    """Percentile interval of the defined (non-NaN) replicates; None if there are none."""
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        return None
    low, high = np.quantile(defined, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(low), float(high)


def normal_p(delta: float, deltas: np.ndarray, n_clusters: int) -> float | None:
    """Two-sided p for a difference of 0 from the bootstrap standard error of ``deltas``."""
    se = standard_error(deltas)
    if se is None:
        return None
    if se == 0.0:
        return 1.0 if delta == 0 else min(1.0, 2.0 ** (1 - n_clusters))
    return math.erfc(abs(delta) / se / math.sqrt(2.0))


def standard_error(deltas: np.ndarray) -> float | None:
    defined = deltas[~np.isnan(deltas)]
    return float(np.std(defined, ddof=1)) if defined.size >= 2 else None
