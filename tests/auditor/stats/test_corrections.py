"""Holm and Benjamini–Hochberg against statsmodels' ``multipletests`` and against naive
references written from the papers; markers."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from auditor.stats.corrections import adjust, marker, stars


def naive_holm(pvalues):
    """Holm (1979): the i-th smallest p times (m - i + 1), running maximum, capped at 1."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    out, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * pvalues[i])
        out[i] = min(1.0, running)
    return out


def naive_bh(pvalues):
    """Benjamini & Hochberg (1995): the i-th smallest p times m / i, running minimum from the
    largest down, capped at 1."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    out, running = [0.0] * m, 1.0
    for rank in range(m - 1, -1, -1):
        i = order[rank]
        running = min(running, pvalues[i] * m / (rank + 1))
        out[i] = min(1.0, running)
    return out


pvalue_lists = st.lists(
    st.one_of(
        st.floats(min_value=0.0, max_value=1.0),
        st.sampled_from([0.0, 0.001, 0.01, 0.04, 0.05, 1.0]),  # ties
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(pvalue_lists)
def test_holm_equals_statsmodels_and_the_naive_reference(pvalues):
    # statsmodels' Holm branch calls gc.collect() (tens of ms a call); skip that here
    with mock.patch("gc.collect", lambda *a: 0):
        expected = multipletests(pvalues, method="holm")[1]
    np.testing.assert_allclose(adjust(pvalues, "holm"), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(adjust(pvalues, "holm"), naive_holm(pvalues), rtol=0, atol=1e-12)


@settings(max_examples=300, deadline=None)
@given(pvalue_lists)
def test_bh_equals_statsmodels_and_the_naive_reference(pvalues):
    expected = multipletests(pvalues, method="fdr_bh")[1]
    np.testing.assert_allclose(adjust(pvalues, "bh"), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(adjust(pvalues, "bh"), naive_bh(pvalues), rtol=0, atol=1e-12)


def test_holm_by_hand():
    # sorted 0.01, 0.02, 0.04 × 3, 2, 1 -> 0.03, 0.04, 0.04 (monotone), back in input order
    np.testing.assert_allclose(adjust([0.04, 0.01, 0.02], "holm"), [0.04, 0.03, 0.04])
    assert adjust([], "bh").size == 0
    with pytest.raises(ValueError):
        adjust([0.1], "bonferroni")


def test_stars_and_markers():
    assert [stars(p) for p in (None, 0.2, 0.05, 0.049, 0.0099, 0.00099)] == [
        "",
        "",
        "",
        "*",
        "**",
        "***",
    ]
    assert marker(-0.1, 0.004) == "▼**"
    assert marker(0.2, 0.0001) == "▲***"
    assert marker(0.2, 0.3) == ""
    assert marker(None, None) == ""
