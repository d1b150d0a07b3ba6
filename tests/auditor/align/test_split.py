"""Grouped train / held-out splits on real BBQ-lite items: no template leaks across."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from auditor.align.split import sample_groups, split_items
from auditor.core.errors import InputError


@pytest.fixture(scope="module")
def targets(lite_items):
    return [i for i in lite_items if i.attribute in ("Gender_identity", "Religion")]


def test_no_overlap_in_ids_or_templates(targets):
    split = split_items(targets, heldout_fraction=0.2, seed=0)
    assert not set(split.train_ids) & set(split.heldout_ids)
    assert not {i.template for i in split.train} & {i.template for i in split.heldout}
    assert sorted(split.train_ids + split.heldout_ids) == sorted(i.id for i in targets)


def test_fraction_is_met_per_attribute(targets):
    split = split_items(targets, heldout_fraction=0.2, seed=3)
    total = Counter(i.attribute for i in targets)
    held = Counter(i.attribute for i in split.heldout)
    for attribute, n in total.items():
        assert abs(held[attribute] / n - 0.2) < 0.01, (attribute, held[attribute], n)


def test_seeded_and_independent_of_input_order(targets):
    a = split_items(targets, seed=7)
    shuffled = list(targets)
    random.Random(1).shuffle(shuffled)
    assert split_items(shuffled, seed=7) == a
    assert split_items(targets, seed=8).heldout_ids != a.heldout_ids


def test_bad_fraction(targets):
    with pytest.raises(InputError, match="heldout_fraction"):
        split_items(targets, heldout_fraction=1.0)


def test_sample_keeps_template_instances_whole(targets):
    sample = sample_groups(targets, 50, seed=0)
    assert 40 <= len(sample) <= 50
    sizes = Counter(i.template for i in targets)
    assert all(n == sizes[t] for t, n in Counter(i.template for i in sample).items()), (
        "a sampled template instance is complete"
    )
    assert sample_groups(targets, 0) == list(targets)
    assert sample_groups(targets, 50, seed=0) == sample
