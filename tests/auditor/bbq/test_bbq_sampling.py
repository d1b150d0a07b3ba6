"""Seeded, stratified sampling of whole template instances, on the real lite set."""

from __future__ import annotations

from collections import Counter

import pytest

from auditor.bbq import sample
from auditor.bbq.sampling import instances
from auditor.core.errors import InputError
from auditor.core.items import ATTRIBUTES, CONTEXTS, POLARITIES

CELLS = [(c, p) for c in CONTEXTS for p in POLARITIES]


def _whole(chosen, all_items):
    full = instances(all_items)
    for key, group in instances(chosen).items():
        assert len(group) == len(full[key]), f"template instance {key} was split"


def test_no_size_means_everything(lite_data):
    assert sample(lite_data.items) == lite_data.items


def test_size_cap_covers_every_attribute_and_cell(lite_data):
    chosen = sample(lite_data.items, n=360, seed=0)
    assert len(chosen) == 360
    per_attr = Counter(i.attribute for i in chosen)
    assert set(per_attr) == set(ATTRIBUTES)
    assert set(per_attr.values()) == {40}
    cells = Counter((i.attribute, i.context_condition, i.polarity) for i in chosen)
    assert all(cells[(a, c, p)] == 10 for a in ATTRIBUTES for c, p in CELLS)
    _whole(chosen, lite_data.items)


def test_not_the_first_items_of_the_first_category(lite_data):
    chosen = sample(lite_data.items, n=36, seed=0)
    assert {i.attribute for i in chosen} == set(ATTRIBUTES)
    assert chosen != lite_data.items[:36]


def test_same_seed_same_sample_other_seed_other_sample(lite_data):
    a = sample(lite_data.items, n=200, seed=7)
    assert a == sample(lite_data.items, n=200, seed=7)
    assert a == sample(tuple(reversed(lite_data.items)), n=200, seed=7)[::-1]
    assert a != sample(lite_data.items, n=200, seed=8)


def test_per_cell(lite_data):
    chosen = sample(lite_data.items, per_cell=6, seed=3)
    cells = Counter((i.attribute, i.context_condition, i.polarity) for i in chosen)
    assert all(cells[(a, c, p)] == 6 for a in ATTRIBUTES for c, p in CELLS)
    _whole(chosen, lite_data.items)


def test_per_cell_and_total_together(lite_data):
    chosen = sample(lite_data.items, n=72, per_cell=100, seed=1)
    assert len(chosen) == 72
    assert set(Counter(i.attribute for i in chosen).values()) == {8}


def test_attribute_filter_and_small_attribute_passes_its_share_on(lite_data):
    religion = [i for i in lite_data.items if i.attribute == "Religion"][:40]
    age = [i for i in lite_data.items if i.attribute == "Age"]
    chosen = sample(religion + age, n=120, seed=0)
    counts = Counter(i.attribute for i in chosen)
    assert counts == {"Religion": 40, "Age": 80}
    only = sample(lite_data.items, n=40, attributes=["SES"])
    assert {i.attribute for i in only} == {"SES"} and len(only) == 40


def test_bad_sizes(lite_data):
    with pytest.raises(InputError, match="n=0"):
        sample(lite_data.items, n=0)
    with pytest.raises(InputError, match="per_cell=-1"):
        sample(lite_data.items, per_cell=-1)
