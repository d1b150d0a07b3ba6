"""The cluster bootstrap: same distribution as resampling instance by instance, seeded."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp, norm

from auditor.core.answers import Answer
from auditor.stats import bootstrap as boot
from auditor.stats.bias import bias_scores
from auditor.stats.bootstrap import (
    bias_replicates,
    cell_rng,
    cluster_sums,
    normal_p,
    percentile_ci,
    resample_totals,
)
from auditor.stats.frame import ANTI, BIASED, build_frame


def _sums(n_clusters: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 3, size=(n_clusters, 3))


@pytest.mark.parametrize("cost", [boot.PROFILE_COST, 10**9])  # profile path, index path
def test_totals_have_the_cluster_bootstrap_moments(monkeypatch, cost):
    # C draws with replacement from the C rows: mean C·x̄, covariance C·Σ (population)
    monkeypatch.setattr(boot, "PROFILE_COST", cost)
    monkeypatch.setattr(boot, "CHUNK_CELLS", 5_000)  # several chunks on the index path
    sums = _sums(600)
    totals = resample_totals(sums, 20_000, np.random.default_rng(1))
    c = sums.shape[0]
    np.testing.assert_allclose(totals.mean(axis=0), c * sums.mean(axis=0), rtol=0.01)
    # sampling error of a covariance here is about 400 / √20000 ≈ 3
    np.testing.assert_allclose(np.cov(totals.T), c * np.cov(sums.T, bias=True), atol=12)


def test_seeded_and_path_independent_of_order():
    sums = _sums(400)
    a = resample_totals(sums, 500, np.random.default_rng(7))
    b = resample_totals(sums[::-1], 500, np.random.default_rng(7))  # same clusters, reordered
    np.testing.assert_array_equal(a, b)
    assert (
        resample_totals(np.ones((5, 2), int), 3, np.random.default_rng(0)).tolist() == [[5, 5]] * 3
    )
    assert not cell_rng(0, "x", "ambig").random() == cell_rng(0, "x", "disambig").random()
    assert cell_rng(3, "x").random() == cell_rng(3, "x").random()
    with pytest.raises(ValueError):
        cell_rng(-1)


def test_bias_replicates_match_naive_cluster_resampling(lite_items):
    # Age ambiguous items, one random role per template instance (answers correlated
    # within an instance): explicit per-instance resampling vs ours
    rng = np.random.default_rng(11)
    per_template: dict[str, int] = {}

    def choose(item):
        role = per_template.setdefault(item.template, int(rng.integers(0, 3)))
        if item.roles is None or role == 2:
            return item.unknown_index
        return item.roles.biased if role == 0 else item.roles.anti_biased

    answers = [Answer(i, choose(item)) for i, item in lite_items.items()]
    frame = build_frame(lite_items, answers)
    mask = frame.mask("Age", "ambig")
    ours = bias_replicates(frame, mask, True, 4000, np.random.default_rng(5))[0]

    role, correct = frame.role[0, mask], frame.correct[0, mask]
    cols = np.stack(
        [np.ones(role.size), role == BIASED, (role == BIASED) | (role == ANTI), correct], axis=1
    )
    sums = cluster_sums(frame.cluster[mask], cols)
    picks = np.random.default_rng(6).integers(0, len(sums), size=(4000, len(sums)))
    totals = sums[picks].sum(axis=1)
    naive = bias_scores(True, totals[:, 1], totals[:, 2], totals[:, 3], totals[:, 0])

    assert ks_2samp(ours, naive).pvalue > 0.01
    assert np.std(ours) == pytest.approx(np.std(naive), rel=0.08)
    assert len(sums) == len({lite_items[i].template for i in np.array(frame.ids)[mask]})

    # resampling items instead of instances ignores the correlation: visibly too narrow
    item_picks = np.random.default_rng(8).integers(0, role.size, size=(4000, role.size))
    t = cols[item_picks].sum(axis=1)
    by_item = bias_scores(True, t[:, 1], t[:, 2], t[:, 3], t[:, 0])
    assert np.std(ours) > 1.2 * np.std(by_item)


def test_interval_conventions():
    assert percentile_ci(np.zeros(999)) == (0.0, 0.0)
    assert percentile_ci(np.full(3, np.nan)) is None
    spread = np.linspace(-1, 3, 4001)
    assert percentile_ci(spread) == pytest.approx((-0.9, 2.9))


def test_normal_p_and_its_degenerate_case():
    deltas = np.random.default_rng(0).normal(0.1, 0.04, 5000)
    se = np.std(deltas, ddof=1)
    assert normal_p(0.1, deltas, 50) == pytest.approx(2 * norm.sf(0.1 / se), rel=1e-12)
    # no spread: every instance shows the same Δ -> sign test over the C instances
    assert normal_p(0.25, np.full(100, 0.25), 5) == 2.0**-4
    assert normal_p(0.25, np.full(100, 0.25), 1) == 1.0
    assert normal_p(0.0, np.zeros(100), 40) == 1.0
    assert normal_p(0.1, np.array([np.nan, 0.1]), 3) is None
