"""The non-inferiority bounds: against statsmodels, and by simulation with known truth."""

from __future__ import annotations

import importlib.util
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from auditor.stats.noninferiority import (
    Bound,
    accuracy_bound,
    bias_bound,
    cluster_se,
    items_needed,
    power,
    unchanged_floor,
)

ROOT = Path(__file__).resolve().parents[3]


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_gate", ROOT / "benchmarks" / "bench_gate.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cluster_se_equals_statsmodels_cluster_robust_intercept():
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    cluster = np.repeat(np.arange(37), rng.integers(1, 5, size=37))
    values = rng.integers(-1, 2, size=cluster.size).astype(float) + 0.3 * (cluster % 3)
    mean, se, g = cluster_se(values, cluster)
    fit = sm.OLS(values, np.ones_like(values)).fit(cov_type="cluster", cov_kwds={"groups": cluster})
    assert g == 37
    assert mean == pytest.approx(fit.params[0], abs=1e-12)
    assert se == pytest.approx(fit.bse[0], rel=1e-9)


def test_identical_answers_on_a_few_dozen_items_do_not_prove_a_5pp_margin():
    cluster = np.repeat(np.arange(24), 2)
    correct = np.arange(48) % 3 == 0
    bound = accuracy_bound(correct, correct[None, :], cluster)
    assert bound.se == 0.0 and bound.estimate == 0.0
    assert bound.upper(0.05) == pytest.approx(1 - 0.05 ** (1 / 24))
    assert bound.upper(0.05) > 0.05


def test_unchanged_floor_is_the_exact_zero_event_binomial_bound():
    from scipy.stats import beta

    for g in (3, 12, 60, 400):
        # Clopper–Pearson one-sided upper bound for 0 successes in g trials
        assert unchanged_floor(g, 0.05) == pytest.approx(beta.ppf(0.95, 1, g), rel=1e-9)
    assert unchanged_floor(10, 0.05, "bias") == pytest.approx(2 * unchanged_floor(10, 0.05))


def test_bound_is_at_least_estimate_and_grows_with_alpha_strictness():
    rng = np.random.default_rng(0)
    cluster = np.repeat(np.arange(80), 2)
    base = rng.random(160) < 0.6
    aligned = base ^ (rng.random(160) < 0.2)
    bound = accuracy_bound(base, aligned[None, :], cluster)
    assert bound.estimate <= bound.upper(0.2) < bound.upper(0.01)
    assert Bound.from_dict(bound.to_dict()) == bound


@pytest.mark.parametrize("seeds,seed_sd", [(1, 0.0), (3, 0.03)])
def test_false_pass_rate_at_the_margin_is_at_most_alpha(seeds, seed_sd):
    bench = _bench()
    rng = np.random.default_rng(11 + seeds)
    draws, alpha = 800, 0.05
    rate = bench.pass_rate(
        rng,
        draws,
        0.05,
        alpha,
        clusters=120,
        size=2,
        drop=0.05,
        discordance=0.2,
        icc=0.8,
        seeds=seeds,
        seed_sd=seed_sd,
    )
    assert rate <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / draws)


def test_ignoring_seed_spread_would_pass_too_often():
    """The seeds' variance term is what keeps the rate down: without it, it fails."""
    bench = _bench()
    rng = np.random.default_rng(5)
    draws, alpha, passed = 600, 0.05, 0
    for _ in range(draws):
        base, aligned, cluster = bench.simulate_cell(
            rng, clusters=120, size=2, drop=0.05, discordance=0.2, icc=0.8, seeds=2, seed_sd=0.05
        )
        mean, se, g = cluster_se(base - aligned.mean(axis=0), cluster)
        from scipy.stats import t

        passed += mean + t.ppf(1 - alpha, g - 1) * se < 0.05
    assert passed / draws > alpha + 3 * math.sqrt(alpha * (1 - alpha) / draws)


def test_pass_rate_at_no_drop_matches_the_predicted_power():
    bench = _bench()
    rng = np.random.default_rng(7)
    shape = dict(clusters=200, size=2, discordance=0.2, icc=0.8)
    deff = bench.design_effect(rng, draws=150, drop=0.0, **shape)
    predicted = power(400, 200, 0.2, 0.05, 0.05, deff=deff)
    observed = bench.pass_rate(rng, 600, 0.05, 0.05, drop=0.0, **shape)
    assert 0.2 < predicted < 0.95
    assert observed == pytest.approx(predicted, abs=0.07)


def test_power_is_zero_where_the_unchanged_floor_exceeds_the_margin():
    assert power(48, 24, 0.0, 0.05, 0.05) == 0.0


def test_items_needed_brings_the_bound_below_the_margin():
    rng = np.random.default_rng(2)
    cluster = np.repeat(np.arange(60), 2)
    base = rng.random(120) < 0.6
    aligned = base ^ (rng.random(120) < 0.15)
    bound = accuracy_bound(base, aligned[None, :], cluster)
    assert bound.estimate < 0.06 <= bound.upper(0.05)
    need = items_needed(bound, 0.06, 0.05)
    assert need > 120
    scale = need / 120  # the same data, more of it: SE shrinks with √n
    se = bound.se / math.sqrt(scale)
    from scipy.stats import norm

    assert bound.estimate + norm.ppf(0.95) * se <= 0.06 + 1e-9
    assert items_needed(replace(bound, estimate=0.07), 0.06, 0.05) is None


def test_bias_bound_is_undefined_without_replicates_and_floored_when_flat():
    nan = accuracy_bound(np.array([], bool), np.zeros((1, 0), bool), np.array([]))
    assert math.isinf(nan.upper(0.05))
    flat = bias_bound(np.array([0.0]), np.zeros(500), 40, 20)
    assert flat.upper(0.05) == pytest.approx(2 * (1 - 0.05 ** (1 / 20)))
    assert math.isinf(bias_bound(np.array([0.1]), np.array([np.nan] * 9), 40, 20).upper(0.05))
    assert Bound.from_dict(nan.to_dict()).upper(0.05) == math.inf
