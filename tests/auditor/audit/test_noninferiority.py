"""One cell's judgement against its margin, and per-attribute margins parsed."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.audit.noninferiority import (
    INCONCLUSIVE,
    NON_INFERIOR,
    judge,
    margin_overrides,
    rule,
)
from auditor.core.errors import InputError
from auditor.stats.noninferiority import accuracy_bound


def test_judge_holds_the_bound_against_the_margin():
    rng = np.random.default_rng(4)
    cluster = np.repeat(np.arange(300), 2)
    base = rng.random(600) < 0.6
    aligned = base ^ (rng.random(600) < 0.1)
    bound = accuracy_bound(base, aligned[None, :], cluster)
    upper = bound.upper(0.05)
    shown = judge(bound, "Age", "ambig", "accuracy", upper + 0.01, 0.05)
    assert shown.verdict == NON_INFERIOR and shown.upper == pytest.approx(upper)
    assert shown.items_needed is None and shown.n == 600
    short = judge(bound, "Age", "ambig", "accuracy", upper - 0.001, 0.05)
    assert short.verdict == INCONCLUSIVE and short.items_needed > 600
    assert "paired items would be needed" in short.reason


def test_no_bound_is_inconclusive_never_non_inferior():
    j = judge(None, "Age", "ambig", "bias", 0.1, 0.05)
    assert j.verdict == INCONCLUSIVE and j.upper is None and j.items_needed is None
    assert "undefined" in j.reason and "would not settle" in j.reason


def test_margin_overrides_parse_and_refuse():
    assert margin_overrides(("Age=0.03", " Race_ethnicity = 0.1"), "accuracy_margins") == {
        "Age": 0.03,
        "Race_ethnicity": 0.1,
    }
    for bad in (
        ("Age",),
        ("Age=",),
        ("=0.1",),
        ("Age=-0.1",),
        ("Age=nan",),
        ("Age=inf",),
        ("Age=0.1", "Age=0.2"),
    ):
        with pytest.raises(InputError):
            margin_overrides(bad, "accuracy_margins")


def test_rule_states_the_intersection_union_principle():
    text = rule(0.05)
    assert "intersection–union" in text and "95 %" in text and "α = 0.05" in text
