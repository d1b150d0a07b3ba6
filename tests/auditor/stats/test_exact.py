"""The exact randomization test of a bias-score change over few template instances,
checked against a brute-force enumeration that relabels answers item by item."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict

import numpy as np
import pytest

from auditor.core.answers import Answer
from auditor.stats import build_frame
from auditor.stats.bias import bias_score
from auditor.stats.bootstrap import bias_replicates, cell_rng, normal_p
from auditor.stats.compare import bias_change, compare_cell
from auditor.stats.exact import MAX_PATTERNS, exact_feasible


def _cell(lite_items, attribute, context, clusters, per=2):
    """``clusters`` template instances of real items, ``per`` items from each."""
    groups = defaultdict(list)
    for item in lite_items.values():
        if item.attribute == attribute and item.context_condition == context and item.roles:
            groups[item.template].append(item)
    chosen = [g[:per] for g in groups.values() if len(g) >= per][:clusters]
    assert len(chosen) == clusters
    return [i for g in chosen for i in g]


def _score(cell, answers, context):
    """The BBQ bias score straight from the answers (no frame, no arrays)."""
    by_item = {a.item_id: a.predicted for a in answers}
    biased = sum(by_item[i.id] == i.roles.biased for i in cell)
    counted = sum(by_item[i.id] in (i.roles.biased, i.roles.anti_biased) for i in cell)
    right = sum(by_item[i.id] == i.label for i in cell)
    return bias_score(context, biased, counted, right, len(cell))


def _brute_p(cell, runs, context):
    """Enumerate every cyclic relabelling of the runs within each instance."""
    templates = list(dict.fromkeys(i.template for i in cell))
    answers = [{a.item_id: a for a in run} for run in runs]
    scores = [_score(cell, run, context) for run in runs]
    observed = np.mean(scores[1:]) - scores[0]
    extreme = total = 0
    for shifts in itertools.product(range(len(runs)), repeat=len(templates)):
        shift = dict(zip(templates, shifts, strict=True))
        relabelled = [
            [answers[(slot + shift[i.template]) % len(runs)][i.id] for i in cell]
            for slot in range(len(runs))
        ]
        s = [_score(cell, run, context) for run in relabelled]
        total += 1
        if None in s or abs(np.mean(s[1:]) - s[0]) >= abs(observed) - 1e-9:
            extreme += 1
    return extreme / total


def _random_runs(cell, rng, count):
    return [[Answer(i.id, rng.randrange(3)) for i in cell] for _ in range(count)]


@pytest.mark.parametrize("context", ["ambig", "disambig"])
def test_exact_p_matches_brute_force(lite_items, context):
    rng = random.Random(7)
    for clusters in (2, 3, 5):
        cell = _cell(lite_items, "Age", context, clusters)
        by_id = {i.id: i for i in cell}
        for _ in range(6):
            runs = _random_runs(cell, rng, 2)
            frame = build_frame(by_id, *runs)
            bias = compare_cell(frame, "Age", context, n_boot=200).bias
            if bias.p is None:
                continue
            assert bias.p == pytest.approx(_brute_p(cell, runs, context), abs=1e-12)


def test_pooled_exact_p_matches_brute_force(lite_items):
    """A baseline and two seeds: 3^k cyclic relabellings."""
    rng = random.Random(3)
    cell = _cell(lite_items, "Religion", "disambig", 4)
    by_id = {i.id: i for i in cell}
    checked = 0
    for _ in range(8):
        runs = _random_runs(cell, rng, 3)
        frame = build_frame(by_id, *runs)
        mask = frame.mask("Religion", "disambig")
        bias = bias_change(frame, mask, "disambig", 0.05, 200, cell_rng(0, "t"))
        if bias.p is None:
            continue
        checked += 1
        assert bias.p == pytest.approx(_brute_p(cell, runs, "disambig"), abs=1e-12)
    assert checked


def test_few_instances_cannot_reach_a_small_p(lite_items):
    """6 items in 3 instances, all moved to the biased answer: the bootstrap-SE p is tiny
    (anti-conservative); the exact test cannot go below 2^(1−3) = 0.25."""
    cell = _cell(lite_items, "Age", "disambig", 3)
    by_id = {i.id: i for i in cell}
    rng = random.Random(0)
    before = [Answer(i.id, rng.choice([i.roles.biased, i.roles.anti_biased])) for i in cell]
    after = [Answer(i.id, i.roles.biased) for i in cell]
    frame = build_frame(by_id, before, after)
    bias = compare_cell(frame, "Age", "disambig", n_boot=2000).bias
    mask = frame.mask("Age", "disambig")
    reps = bias_replicates(frame, mask, False, 2000, cell_rng(0, "old"))
    assert normal_p(bias.delta, reps[1] - reps[0], 3) < 0.01  # what the table used to say
    assert bias.delta > 0 and bias.p >= 0.25


def test_smallest_p_is_bounded_by_the_instances(lite_items):
    rng = random.Random(11)
    for clusters in range(1, 7):
        cell = _cell(lite_items, "Nationality", "ambig", clusters)
        by_id = {i.id: i for i in cell}
        for _ in range(4):
            frame = build_frame(by_id, *_random_runs(cell, rng, 2))
            p = compare_cell(frame, "Nationality", "ambig", n_boot=100).bias.p
            assert p is None or p >= 2.0 ** (1 - clusters) - 1e-12


def test_many_instances_keep_the_bootstrap():
    assert exact_feasible(2, 16) and not exact_feasible(2, 17)
    assert exact_feasible(4, 8) and not exact_feasible(4, 9)
    assert 2**16 == MAX_PATTERNS
