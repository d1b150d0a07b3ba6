"""An honest interval for a change no item showed.

When no item of a cell changed its answer, every bootstrap replicate gives Δ = 0 and the
percentile interval collapses to [0, 0]: a certainty no finite sample gives. The data do
bound how much could have changed unseen. With none of k template instances discordant,
the exact (Clopper–Pearson) upper bound on the share of discordant instances at
two-sided level 1 − α is q = 1 − (α/2)^(1/k). The interval is then every Δ reachable
when the ⌈q·k⌉ largest instances change answers in any way: the minimum and maximum of
the score over the cell's counts with up to m items moved (m = those instances' items),
enumerated exactly. Scores lie in [−1, 1], so where m is too large to enumerate the
interval is all of [−1 − s, 1 − s]. The same bound serves the bias score (ambig: counts
biased / anti-biased / correct / other; disambig: biased / anti-biased / other) and the
bias-aligned accuracy gap (right answers among biased- and anti-biased-correct items).
"""

from __future__ import annotations

import math

import numpy as np

from auditor.stats.bias import bias_scores

MAX_GRID = 300_000
"""The most count vectors enumerated; beyond it the score's whole range is used."""


def discordance_bound(clusters: int, alpha: float) -> float:
    """Exact upper bound (two-sided 1 − alpha) on the share of discordant instances when
    none of ``clusters`` was: 1 − (alpha/2)^(1/k); 1 without instances."""
    return 1.0 - (alpha / 2.0) ** (1.0 / clusters) if clusters else 1.0


def movable(cluster: np.ndarray, alpha: float) -> int:
    """Items in the ⌈q·k⌉ largest instances of ``cluster`` (one code per item)."""
    _, sizes = np.unique(cluster, return_counts=True)
    take = math.ceil(discordance_bound(sizes.size, alpha) * sizes.size - 1e-12)
    return int(np.sort(sizes)[::-1][:take].sum())


def _moves(counts: tuple[int, ...], m: int) -> np.ndarray | None:
    """Every count vector reachable from ``counts`` by moving at most ``m`` items between
    its categories (the last category absorbs the rest): rows of new counts. None when
    there are too many to enumerate."""
    free = len(counts) - 1
    if (2 * m + 1) ** free > MAX_GRID:
        return None
    steps = np.arange(-m, m + 1)
    grid = np.stack([g.ravel() for g in np.meshgrid(*[steps] * free, indexing="ij")], axis=1)
    shifts = np.concatenate([grid, -grid.sum(axis=1, keepdims=True)], axis=1)
    new = np.asarray(counts)[None, :] + shifts
    moved = np.clip(shifts, 0, None).sum(axis=1)
    reachable: np.ndarray = new[(new >= 0).all(axis=1) & (moved <= m)]
    return reachable


def bias_range(
    ambiguous: bool, n_biased: int, n_anti: int, n_correct: int, n: int, m: int
) -> tuple[float, float] | None:
    """[min, max] of Δ of the bias score when up to ``m`` of the ``n`` items change answer;
    None when the score itself is undefined."""
    counts: tuple[int, ...]
    if ambiguous:
        counts = (n_biased, n_anti, n_correct, n - n_biased - n_anti - n_correct)
        score = bias_scores(True, [n_biased], [n_biased + n_anti], [n_correct], [n])[0]
    else:
        counts = (n_biased, n_anti, n - n_biased - n_anti)
        score = bias_scores(False, [n_biased], [n_biased + n_anti])[0]
    if np.isnan(score):
        return None
    new = _moves(counts, min(m, n))
    if new is None:
        return -1.0 - score, 1.0 - score
    if ambiguous:
        scores = bias_scores(
            True, new[:, 0], new[:, 0] + new[:, 1], new[:, 2], np.full(len(new), n)
        )
    else:
        scores = bias_scores(False, new[:, 0], new[:, 0] + new[:, 1])
    scores = scores[~np.isnan(scores)]
    return float(scores.min() - score), float(scores.max() - score)


def gap_range(
    n_biased: int, n_anti: int, right_biased: int, right_anti: int, m: int
) -> tuple[float, float]:
    """[min, max] of Δ of the bias-aligned gap when up to ``m`` items flip correctness."""
    gap = right_biased / n_biased - right_anti / n_anti
    m = min(m, n_biased + n_anti)
    if (2 * m + 1) ** 2 > MAX_GRID:
        return -1.0 - gap, 1.0 - gap
    steps = np.arange(-m, m + 1)
    db, da = (g.ravel() for g in np.meshgrid(steps, steps, indexing="ij"))
    rb, ra = right_biased + db, right_anti + da
    ok = (np.abs(db) + np.abs(da) <= m) & (rb >= 0) & (rb <= n_biased) & (ra >= 0) & (ra <= n_anti)
    gaps = rb[ok] / n_biased - ra[ok] / n_anti
    return float(gaps.min() - gap), float(gaps.max() - gap)
