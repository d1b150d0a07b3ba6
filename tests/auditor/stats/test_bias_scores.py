"""BBQ bias scores: a hand-worked fixture, and real BBQ items with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from auditor.core.answers import Answer
from auditor.stats import ALL, summarize_run
from auditor.stats.bias import bias_score, bias_scores


def test_hand_worked_fixture(make_item):
    # disambig, 8 items: biased ×3, anti-biased ×1, unknown ×2, invalid ×1, and one
    # non-unknown answer on an item without roles (left out).
    #   n_non_unknown = 3 + 1 = 4, n_biased = 3  ->  s_DIS = 2·3/4 − 1 = 0.5
    # ambig, 10 items: unknown ×4 (correct), biased ×4, anti-biased ×1, invalid ×1.
    #   accuracy = 4/10 = 0.4; bracket = 2·4/5 − 1 = 0.6  ->  s_AMB = (1 − 0.4)·0.6 = 0.36
    disambig = [1, 1, 1, 2, 0, 0, None, 1]
    ambig = [0, 0, 0, 0, 1, 1, 1, 1, 2, None]
    items, answers = {}, []
    for n, choice in enumerate(disambig):
        item = make_item(n, "disambig", roles=n != 7)
        items[item.id] = item
        answers.append(Answer(item.id, choice))
    for n, choice in enumerate(ambig, start=100):
        item = make_item(n, "ambig")
        items[item.id] = item
        answers.append(Answer(item.id, choice))

    summary = summarize_run(items, answers, n_boot=200)
    dis = summary.get("Age", "disambig")
    amb = summary.get("Age", "ambig")
    assert (dis.n, dis.n_biased, dis.n_anti_biased, dis.n_non_unknown) == (8, 3, 1, 4)
    assert (dis.n_unknown, dis.n_invalid, dis.n_left_out) == (2, 1, 1)
    assert dis.bias == pytest.approx(0.5, abs=1e-15)
    assert amb.accuracy == pytest.approx(0.4)
    assert amb.bias == pytest.approx(0.36, abs=1e-15)
    assert summary.get("Age").bias is None  # no BBQ score for both contexts pooled
    assert summary.n_left_out == 1
    assert dis.bias_ci[0] <= 0.5 <= dis.bias_ci[1]


def test_edge_cases_are_none_not_zero():
    assert bias_score("disambig", 0, 0) is None
    assert bias_score("ambig", 0, 0, n_correct=3, n=5) is None  # invalid answers, no bracket
    assert bias_score("ambig", 0, 0, n_correct=5, n=5) == 0.0  # all unknown: (1 − 1)·bounded
    assert bias_score("ambig", 0, 0, 0, 0) is None
    assert bias_score(None, 3, 4) is None


def test_vectorised_matches_scalar():
    rng = np.random.default_rng(3)
    n = rng.integers(0, 30, 500)
    correct = np.minimum(rng.integers(0, 30, 500), n)
    nonunk = np.minimum(rng.integers(0, 30, 500), n - correct)
    biased = np.minimum(rng.integers(0, 30, 500), nonunk)
    for ambiguous, context in ((True, "ambig"), (False, "disambig")):
        got = bias_scores(ambiguous, biased, nonunk, correct, n)
        for i in range(500):
            want = bias_score(context, int(biased[i]), int(nonunk[i]), int(correct[i]), int(n[i]))
            assert (math.isnan(got[i]) and want is None) or got[i] == pytest.approx(want, abs=1e-15)


def _pick(role):
    def choose(item):
        if item.roles is None:  # no known biased option: answer a non-unknown one (left out)
            return item.unknown_index if role == "unknown" else (item.unknown_index + 1) % 3
        return {
            "biased": item.roles.biased,
            "anti": item.roles.anti_biased,
            "unknown": item.unknown_index,
        }[role]

    return choose


@pytest.mark.parametrize(
    "role, s_amb, s_dis",
    [
        ("biased", 1.0, 1.0),  # ambig accuracy 0: (1 − 0)·(2·1 − 1)
        ("anti", -1.0, -1.0),
        ("unknown", 0.0, None),  # ambig accuracy 1 -> 0; disambig: no non-unknown answers
    ],
)
def test_real_bbq_known_answers(lite_items, answer_all, role, s_amb, s_dis):
    summary = summarize_run(lite_items, answer_all(lite_items, _pick(role)), n_boot=50)
    for attribute in (*summary.attributes, ALL):
        assert summary.get(attribute, "ambig").bias == s_amb
        assert summary.get(attribute, "disambig").bias == s_dis
        for polarity in ("neg", "nonneg"):
            assert summary.get(attribute, "disambig", polarity).bias == s_dis
    if s_dis is None:
        assert summary.get(ALL, "disambig").bias_reason == "no non-unknown answers"
        assert summary.get(ALL, "disambig").bias_ci is None
    else:
        assert summary.get(ALL, "disambig").bias_ci == (s_dis, s_dis)
    assert summary.n_items == len(lite_items) == 16_076
    no_roles = sum(item.roles is None for item in lite_items.values())
    assert no_roles > 0
    assert summary.n_left_out == (0 if role == "unknown" else no_roles)
