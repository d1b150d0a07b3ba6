"""Wilson intervals against statsmodels, and per-slice counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from auditor.stats.frame import ANTI, BIASED, INVALID, LEFT_OUT, UNKNOWN
from auditor.stats.metrics import count, wilson_ci


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 100_000), st.data(), st.sampled_from([0.05, 0.01, 0.1]))
def test_wilson_equals_statsmodels(n, data, alpha):
    k = data.draw(st.integers(0, n))
    expected = proportion_confint(k, n, alpha=alpha, method="wilson")
    got = wilson_ci(k, n, alpha)
    assert got[0] == pytest.approx(expected[0], abs=1e-12)
    assert got[1] == pytest.approx(expected[1], abs=1e-12)


def test_wilson_needs_items():
    with pytest.raises(ValueError):
        wilson_ci(0, 0)


def test_count_tallies_roles_and_rates():
    role = np.array([BIASED, BIASED, ANTI, UNKNOWN, INVALID, LEFT_OUT, UNKNOWN, BIASED])
    correct = np.array([1, 0, 1, 1, 0, 0, 1, 0], dtype=bool)
    c = count(role, correct)
    assert (c.n, c.n_correct, c.n_biased, c.n_anti_biased) == (8, 4, 3, 1)
    assert (c.n_unknown, c.n_invalid, c.n_left_out, c.n_non_unknown) == (2, 1, 1, 4)
    assert (c.accuracy, c.unknown_rate, c.invalid_rate) == (0.5, 0.25, 0.125)
    empty = count(role, correct, np.zeros(8, dtype=bool))
    assert empty.n == 0 and empty.accuracy is None and empty.accuracy_ci() is None
    assert empty.unknown_rate is None and empty.invalid_rate is None
