"""The exact McNemar test's power and MDE, cross-checked by Monte Carlo simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from auditor.stats.corrections import adjust
from auditor.stats.mcnemar import mcnemar_exact
from auditor.stats.power import (
    cell_level,
    critical_counts,
    items_needed,
    mcnemar_power,
    mde,
)


def test_critical_counts_match_the_exact_test():
    for level in (0.05, 0.01, 0.05 / 45):
        for d in range(0, 80):
            k = int(critical_counts(np.array([d]), level)[0])
            rejected = [m for m in range(d // 2 + 1) if mcnemar_exact(m, d - m) < level]
            assert k == (max(rejected) if rejected else -1), (d, level)


def _simulated_power(n, psi, delta, level, uniforms):
    """Share of simulated tables the exact test rejects: each item is right→wrong below
    (ψ − Δ)/2, wrong→right below ψ, concordant above (the same uniforms for every Δ)."""
    b = np.count_nonzero(uniforms < (psi - delta) / 2, axis=1)
    c = np.count_nonzero(uniforms < psi, axis=1) - b
    p = np.minimum(1.0, 2.0 * binom.cdf(np.minimum(b, c), b + c, 0.5))
    p[b + c == 0] = 1.0
    return float(np.mean(p < level))


@pytest.mark.parametrize(
    ("n", "psi", "level"),
    [
        (24, 0.4, 0.05),
        (120, 0.25, 0.05 / 45),
        (200, 0.2, 0.01),
        (500, 0.1, 0.05 / 45),
    ],
)
def test_mde_agrees_with_monte_carlo(n, psi, level):
    rng = np.random.default_rng(11)
    uniforms = rng.random((4000, n))
    analytic = mde(n, psi, level)
    assert analytic is not None and 0 < analytic <= 1
    # the simulated MDE: the smallest Δ on a 0.25 pp grid whose simulated power is ≥ 80 %
    grid = np.arange(0.0025, 1.0, 0.0025)
    powers = [_simulated_power(n, max(psi, d), -d, level, uniforms) for d in grid]
    simulated = grid[next(i for i, pw in enumerate(powers) if pw >= 0.8)]
    assert abs(simulated - analytic) <= 0.02
    assert mcnemar_power(n, psi, -analytic, level) == pytest.approx(0.8, abs=1e-3)


def test_power_is_symmetric_and_rises_with_the_effect():
    powers = [mcnemar_power(300, 0.2, d, 0.01) for d in (0.02, 0.05, 0.1, 0.15)]
    assert powers == sorted(powers)
    assert mcnemar_power(300, 0.2, 0.07, 0.01) == pytest.approx(
        mcnemar_power(300, 0.2, -0.07, 0.01)
    )


def test_mde_shrinks_with_more_items_and_none_when_hopeless():
    assert mde(400, 0.2, 0.001) < mde(100, 0.2, 0.001) < mde(25, 0.2, 0.001)
    assert mde(4, 0.5, 0.05) is None  # 4 items all one way: p = 0.125
    assert mde(0, 0.0, 0.05) is None


def test_no_discordance_still_has_an_mde():
    # a change of Δ needs at least |Δ| discordant items; with none observed that is the bound
    value = mde(60, 0.0, 0.05)
    assert value is not None
    assert mcnemar_power(60, value, value, 0.05) == pytest.approx(0.8, abs=1e-3)


def test_items_needed_is_the_smallest_sufficient_n():
    n = items_needed(0.1, 0.2, 0.001)
    assert mcnemar_power(n, 0.2, 0.1, 0.001) >= 0.8 > mcnemar_power(n - 1, 0.2, 0.1, 0.001)
    assert mde(n, 0.2, 0.001) <= 0.1


@pytest.mark.parametrize("method", ["holm", "bh"])
def test_cell_level_is_the_threshold_of_the_correction(method):
    rng = np.random.default_rng(3)
    pvalues = rng.uniform(0, 0.2, size=12) ** 2
    for index in range(12):
        level = cell_level(pvalues, index, method, 0.05)
        below, above = pvalues.copy(), pvalues.copy()
        below[index], above[index] = level * 0.999, min(1.0, level * 1.001)
        assert adjust(below, method)[index] < 0.05 <= adjust(above, method)[index]


def test_cell_level_of_one_test_is_alpha():
    assert cell_level([0.5], 0, "holm", 0.05) == 0.05
