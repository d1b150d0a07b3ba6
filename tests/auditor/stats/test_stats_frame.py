"""Building the columnar frame: pairing, role codes and input errors."""

from __future__ import annotations

import pytest

from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.stats.frame import ANTI, BIASED, INVALID, LEFT_OUT, UNKNOWN, build_frame


def _items(make_item, n=8):
    items = [
        make_item(i, "ambig" if i % 4 < 2 else "disambig", "neg" if i % 2 else "nonneg")
        for i in range(n)
    ]
    return {item.id: item for item in items}


def test_pairs_only_items_both_runs_answered(make_item):
    items = _items(make_item)
    ids = list(items)
    before = [Answer(i, 0) for i in ids[:6]]
    after = [Answer(i, 1) for i in ids[2:]]
    frame = build_frame(items, before, after)
    assert frame.ids == tuple(ids[2:6])
    assert frame.unmatched == (2, 2)
    assert frame.n_clusters == 2  # items 2–3 and 4–7 belong to templates 0 and 1


def test_role_codes(make_item):
    items = _items(make_item, 4)
    items["Age:9"] = make_item(9, "disambig", roles=False)
    answers = [
        Answer("Age:0", 1),
        Answer("Age:1", 2),
        Answer("Age:2", 0),
        Answer("Age:3", None),
        Answer("Age:9", 2),
    ]
    frame = build_frame(items, answers)
    assert frame.role[0].tolist() == [BIASED, ANTI, UNKNOWN, INVALID, LEFT_OUT]
    assert frame.correct[0].tolist() == [False, False, False, False, False]
    assert frame.mask("Age", "ambig").tolist() == [True, True, False, False, False]
    assert not frame.mask("Religion").any()


@pytest.mark.parametrize(
    "answers, message",
    [
        ([Answer("Age:0", 1), Answer("Age:0", 2)], "answered twice"),
        ([Answer("Age:77", 1)], "not among the 4 loaded items"),
        ([Answer("Age:0", 3)], "option 3 is out of range"),
    ],
)
def test_bad_answers_are_input_errors(make_item, answers, message):
    with pytest.raises(InputError, match=message):
        build_frame(_items(make_item, 4), answers)
