"""One run's summary on real BBQ-lite: slices add up, JSON round-trips, seeded."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.stats import ALL, RunSummary, summarize_run


@pytest.fixture(scope="module")
def noisy(lite_items):
    rng = np.random.default_rng(4)
    return [Answer(i, None if rng.random() < 0.05 else int(rng.integers(0, 3))) for i in lite_items]


def test_slices_add_up(lite_items, noisy):
    summary = summarize_run(lite_items, noisy, n_boot=200)
    assert len(summary.slices) == (9 + 1) * 3 * 3
    total = summary.get()
    assert total.n == len(lite_items)
    assert sum(summary.get(a).n for a in summary.attributes) == total.n
    for attribute in (*summary.attributes, ALL):
        whole = summary.get(attribute)
        parts = [
            summary.get(attribute, c, p) for c in ("ambig", "disambig") for p in ("neg", "nonneg")
        ]
        for field in ("n", "n_correct", "n_unknown", "n_invalid", "n_biased", "n_left_out"):
            assert getattr(whole, field) == sum(getattr(s, field) for s in parts)
    assert 0.03 < total.invalid_rate < 0.07
    assert total.accuracy_ci[0] < total.accuracy < total.accuracy_ci[1]
    amb = summary.get(ALL, "ambig")
    assert amb.unknown_rate == amb.accuracy  # ambiguous: correct means the unknown option
    assert amb.bias_ci[0] < amb.bias < amb.bias_ci[1]


def test_json_round_trip_and_determinism(lite_items, noisy):
    one = summarize_run(lite_items, noisy, n_boot=100, seed=9)
    assert RunSummary.from_json(one.to_json()) == one
    assert summarize_run(lite_items, noisy, n_boot=100, seed=9) == one
    other = summarize_run(lite_items, noisy, n_boot=100, seed=10)
    assert other.get(ALL, "disambig").bias_ci != one.get(ALL, "disambig").bias_ci
    with pytest.raises(InputError, match="schema"):
        RunSummary.from_json('{"schema": "spillover.table/1"}')
