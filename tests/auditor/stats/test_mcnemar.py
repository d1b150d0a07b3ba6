"""McNemar variants against statsmodels, and Newcombe's paired CI against a textbook value."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from auditor.stats.mcnemar import (
    mcnemar,
    mcnemar_chi2,
    mcnemar_exact,
    mcnemar_midp,
    newcombe_paired_ci,
)

counts = st.integers(min_value=0, max_value=3000)


def _table(a, b, c, d):
    return [[a, b], [c, d]]


@settings(max_examples=300, deadline=None)
@given(counts, counts, counts, counts)
def test_exact_equals_statsmodels(a, b, c, d):
    expected = sm_mcnemar(_table(a, b, c, d), exact=True).pvalue
    assert mcnemar_exact(b, c) == pytest.approx(expected, abs=1e-12, rel=0)


@settings(max_examples=300, deadline=None)
@given(counts, counts, counts, counts)
def test_chi2_with_correction_equals_statsmodels(a, b, c, d):
    if b + c == 0:  # statsmodels divides by zero here; we define p = 1
        assert mcnemar_chi2(b, c) == 1.0
        return
    expected = sm_mcnemar(_table(a, b, c, d), exact=False, correction=True).pvalue
    assert mcnemar_chi2(b, c) == pytest.approx(expected, abs=1e-12, rel=0)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 400), st.integers(0, 400))
def test_midp_is_exact_minus_half_point_mass_on_each_tail(b, c):
    n, k = b + c, min(b, c)
    # mid-p = P(X < k) + ½P(X = k), doubled; summed term by term here
    tail = sum(binom.pmf(i, n, 0.5) for i in range(k)) + 0.5 * binom.pmf(k, n, 0.5)
    assert mcnemar_midp(b, c) == pytest.approx(min(1.0, 2 * tail), abs=1e-12)
    assert mcnemar_midp(b, c) <= mcnemar_exact(b, c) + 1e-15


def test_small_cases_by_hand():
    assert mcnemar_exact(0, 0) == mcnemar_midp(0, 0) == mcnemar_chi2(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == mcnemar_midp(5, 5) == 1.0
    # b = 0, c = 6: 2 · (1/2)^6 = 0.03125; mid-p halves the point mass: 0.015625
    assert mcnemar_exact(0, 6) == pytest.approx(0.03125, abs=1e-15)
    assert mcnemar_midp(0, 6) == pytest.approx(0.015625, abs=1e-15)
    assert mcnemar(0, 6, "midp") == mcnemar_midp(0, 6)
    with pytest.raises(ValueError):
        mcnemar(1, 2, "fisher")


def test_newcombe_matches_fagerland_lydersen_laake():
    # Cavo et al. (2012), table [[59, 6], [16, 80]]: the book's Newcombe square-and-add
    # interval for before − after is −0.0621 (−0.1186 to −0.0046); ours is after − before.
    a, b, c, d = 59, 6, 16, 80
    low, high = newcombe_paired_ci(a, b, c, d)
    assert (c - b) / (a + b + c + d) == pytest.approx(0.0621, abs=5e-5)
    assert low == pytest.approx(0.0046, abs=5e-5)
    assert high == pytest.approx(0.1186, abs=5e-5)


@settings(max_examples=300, deadline=None)
@given(counts, counts, counts, counts)
def test_newcombe_interval_contains_estimate(a, b, c, d):
    n = a + b + c + d
    ci = newcombe_paired_ci(a, b, c, d)
    if n == 0:
        assert ci is None
        return
    delta = (c - b) / n
    assert -1.0 <= ci[0] <= delta + 1e-12
    assert delta - 1e-12 <= ci[1] <= 1.0
