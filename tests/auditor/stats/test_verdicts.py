"""Verdicts: |bias| before and after compared within the stated tolerance."""

from __future__ import annotations

from auditor.stats.verdicts import BIAS_TOLERANCE, NO_CHANGE, bias_growth, bias_verdict


def test_sign_flip_with_equal_magnitude_is_no_change():
    """+1/3 → −1/3 from counts (26 of 39 biased → 13 of 39): the floats' magnitudes differ
    in the last bit, the scores' do not."""
    up, down = 2 * 26 / 39 - 1, 2 * 13 / 39 - 1
    assert abs(up) != abs(down)  # the rounding the verdict must not read as a change
    assert bias_verdict(up, down, 1e-6, 0.05) == NO_CHANGE
    assert bias_verdict(down, up, 1e-6, 0.05) == NO_CHANGE
    assert bias_verdict(0.2, 0.4, 1e-6, 0.05) == "degraded"
    assert bias_verdict(-0.4, 0.2, 1e-6, 0.05) == "improved"


def test_growth_is_zero_within_the_tolerance():
    assert bias_growth(2 * 26 / 39 - 1, 2 * 13 / 39 - 1) == 0.0
    assert bias_growth(0.1, 0.1 + 10 * BIAS_TOLERANCE) > 0
