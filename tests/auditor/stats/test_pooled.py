"""The pooled sign-flip test across seeds: exact against enumeration, calibrated under a
simulated null, powerful against a 15-point drop."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from auditor.stats.pooled import cluster_totals, pooled_accuracy, sign_flip_p


def test_sign_flip_p_equals_full_enumeration():
    rng = np.random.default_rng(0)
    for _ in range(40):
        totals = rng.integers(-6, 7, size=int(rng.integers(1, 11)))
        observed = abs(int(totals.sum()))
        hits = sum(
            abs(int(np.dot(signs, totals))) >= observed
            for signs in itertools.product((-1, 1), repeat=totals.size)
        )
        assert sign_flip_p(totals) == pytest.approx(hits / 2**totals.size, abs=1e-12)


def test_cluster_totals_count_seeds_on_an_integer_lattice():
    base = np.array([1, 0, 1, 1], dtype=bool)
    aligned = np.array([[1, 1, 0, 1], [0, 1, 0, 1], [1, 1, 1, 1]], dtype=bool)
    cluster = np.array([7, 7, 3, 3])
    # instance 3: (1 + 3) − 3·2 = −2; instance 7: (2 + 3) − 3·1 = 2
    assert cluster_totals(base, aligned, cluster).tolist() == [-2, 2]
    result = pooled_accuracy(base, aligned, cluster)
    assert result.delta == pytest.approx(aligned.mean() - base.mean())
    assert (result.n, result.n_clusters, result.seeds) == (4, 2, 3)
    assert result.p == 1.0


def test_one_seed_is_the_paired_sign_flip_of_a_mcnemar_table():
    # items are their own clusters: the test is a sign test on the discordant items
    from scipy.stats import binomtest

    base = np.array([1] * 9 + [0] * 2 + [1] * 20, dtype=bool)
    aligned = np.array([0] * 9 + [1] * 2 + [1] * 20, dtype=bool)
    got = pooled_accuracy(base, aligned[None, :], np.arange(base.size)).p
    assert got == pytest.approx(binomtest(2, 11, 0.5).pvalue, abs=1e-12)


def _simulate(n_sims, drop, seeds, rng, n_clusters=50, size=4):
    """Rejections at 0.05 over simulated cells of ``n_clusters`` × ``size`` items: each
    instance has its own accuracy (Beta(2, 2)), items vary around it; base and aligned
    answers are drawn independently from the same item probabilities, less ``drop``."""
    cluster = np.repeat(np.arange(n_clusters), size)
    rejected = 0
    for _ in range(n_sims):
        level = np.repeat(rng.beta(2, 2, size=n_clusters), size)
        prob = np.clip(level + rng.normal(0, 0.1, level.size), 0.15, 0.98)
        base = rng.random(prob.size) < prob
        aligned = rng.random((seeds, prob.size)) < prob - drop
        rejected += pooled_accuracy(base, aligned, cluster).p < 0.05
    return rejected / n_sims


@pytest.mark.parametrize("seeds", [1, 3])
def test_calibrated_under_the_null(seeds):
    rate = _simulate(2000, 0.0, seeds, np.random.default_rng(seeds))
    assert 0.03 <= rate <= 0.07


def test_clustered_null_with_skewed_accuracy_stays_calibrated():
    # instances of two items each, accuracy near the ceiling (an asymmetric difference)
    rng = np.random.default_rng(5)
    cluster = np.repeat(np.arange(100), 2)
    rejected = 0
    for _ in range(2000):
        prob = np.repeat(rng.uniform(0.75, 0.98, size=100), 2)
        base = rng.random(prob.size) < prob
        aligned = rng.random((3, prob.size)) < prob
        rejected += pooled_accuracy(base, aligned, cluster).p < 0.05
    assert 0.03 <= rejected / 2000 <= 0.07


def test_detects_a_fifteen_point_drop_at_200_items():
    rng = np.random.default_rng(15)
    assert _simulate(500, 0.15, 3, rng) >= 0.9
    assert _simulate(500, 0.15, 1, rng) >= 0.75
