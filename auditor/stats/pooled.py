"""Pooled paired test of base vs aligned across DPO seed replicates.

Every seed's aligned run is compared with the one shared baseline. Per item, the
difference is d = (mean correctness over the K seeds) − (base correctness); its mean
over a cell's items is the mean of the seeds' Δaccuracy. Items cluster by template
instance, so the test works on cluster totals D_g = Σ d over the instance's items.

Test: the cluster sign-flip randomization test (Fisher 1935; for clustered data
Canay, Romano & Shaikh 2017, Econometrica 85:1013). Under H0 each instance's total is
symmetric about 0 (e.g. the base and aligned answers of an instance are exchangeable),
so T = Σ D_g is distributed as Σ s_g·D_g with independent random signs s_g = ±1; the
two-sided p is P(|Σ s_g D_g| ≥ |T|). K·D_g is an integer, so the sign-flip
distribution is computed exactly by convolving the instances' two-point distributions
on that integer lattice (no Monte Carlo, so p has no resolution floor for the
multiple-comparison correction). It reuses the shared baseline once (not K times) and
treats an instance, with all its items and all seeds, as one unit.

The bias score is not an item mean; its pooled Δ (mean over seeds of after − before)
is tested with the paired cluster bootstrap of ``bootstrap`` drawing the same
instances for the baseline and every seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class PooledAccuracy:
    """Mean Δaccuracy over the seeds on ``n`` items in ``n_clusters`` instances, and the
    exact sign-flip p (None when there are no items)."""

    n: int
    n_clusters: int
    seeds: int
    before: float | None
    after: float | None
    delta: float | None
    p: float | None


def cluster_totals(base: np.ndarray, aligned: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    """Per-instance integer totals of K·d = Σ_k aligned − K·base (one per instance present)."""
    aligned = np.atleast_2d(aligned)
    k = aligned.shape[0]
    scaled = aligned.sum(axis=0).astype(np.int64) - k * np.asarray(base, dtype=np.int64)
    _, inverse = np.unique(cluster, return_inverse=True)
    return np.bincount(inverse.ravel(), weights=scaled).round().astype(np.int64)


def sign_flip_p(totals: np.ndarray) -> float:
    """Exact two-sided p of the sign-flip test of integer cluster totals: the share of the
    2^G sign patterns s with |Σ s·D| ≥ |Σ D|."""
    values = np.abs(np.asarray(totals, dtype=np.int64))
    values = values[values > 0]
    observed = abs(int(np.asarray(totals, dtype=np.int64).sum()))
    if observed == 0:
        return 1.0
    span = int(values.sum())
    # dist[j] = P(Σ s·v = j − span); each instance moves the sum by ±v with probability ½
    dist = np.zeros(2 * span + 1)
    dist[span] = 1.0
    for v in values.tolist():
        shifted = np.zeros_like(dist)
        shifted[:-v] += dist[v:]
        shifted[v:] += dist[:-v]
        dist = shifted * 0.5
    sums = np.arange(-span, span + 1)
    return float(min(1.0, dist[np.abs(sums) >= observed].sum()))


def pooled_accuracy(base: np.ndarray, aligned: np.ndarray, cluster: np.ndarray) -> PooledAccuracy:
    """The pooled test on one cell: ``base`` (n,) and ``aligned`` (K, n) correctness,
    ``cluster`` (n,) the items' template instances."""
    base = np.asarray(base, dtype=bool)
    aligned = np.atleast_2d(np.asarray(aligned, dtype=bool))
    n, seeds = int(base.size), int(aligned.shape[0])
    if n == 0:
        return PooledAccuracy(0, 0, seeds, None, None, None, None)
    totals = cluster_totals(base, aligned, cluster)
    before, after = float(base.mean()), float(aligned.mean())
    return PooledAccuracy(
        n, int(totals.size), seeds, before, after, after - before, sign_flip_p(totals)
    )
