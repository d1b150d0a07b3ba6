"""The pooled table of seed replicates: per-seed results, pooled tests, agreement."""

from __future__ import annotations

import pytest

from auditor.core.answers import Answer
from auditor.stats import DEGRADED, NO_CHANGE, SpilloverTable, compare_runs
from auditor.stats.corrections import adjust
from auditor.stats.replicates import compare_replicates

N_BOOT = 300


def _wrong(answers, items, attribute, context, every):
    out, seen = [], 0
    for a in answers:
        item = items[a.item_id]
        if item.attribute == attribute and item.context_condition == context:
            seen += 1
            if seen % every == 0:
                a = Answer(a.item_id, item.unknown_index)
        out.append(a)
    return out


@pytest.fixture(scope="module")
def runs(lite_items):
    base = [Answer(i, item.label) for i, item in lite_items.items()]
    strong = _wrong(base, lite_items, "Religion", "disambig", 3)  # a third turn wrong
    weak = _wrong(base, lite_items, "Religion", "disambig", 40)  # a few turn wrong
    return base, strong, weak


def test_identical_seeds_pool_to_the_single_run(lite_items, runs):
    base, strong, _ = runs
    single = compare_runs(lite_items, base, strong, n_boot=N_BOOT)
    pooled = compare_replicates(lite_items, base, {0: strong, 1: strong}, n_boot=N_BOOT)
    assert pooled.seeds == (0, 1) and pooled.family == single.family
    for row in single.rows:
        for cell in row.cells:
            other = pooled.cell(row.attribute, cell.context)
            assert other.accuracy.delta == pytest.approx(cell.accuracy.delta)
            assert (other.accuracy.b, other.accuracy.c) == (
                2 * cell.accuracy.b,
                2 * cell.accuracy.c,
            )
            assert other.accuracy.verdict == cell.accuracy.verdict
            if cell.bias.delta is not None:
                assert other.bias.delta == pytest.approx(cell.bias.delta)
    hit = pooled.cell("Religion", "disambig").accuracy
    assert hit.verdict == DEGRADED and hit.agreement == 2
    assert [s.seed for s in hit.seeds] == [0, 1]
    assert all(s.verdict == DEGRADED for s in hit.seeds)


def test_agreement_counts_the_seeds_that_see_it(lite_items, runs):
    base, strong, weak = runs
    pooled = compare_replicates(lite_items, base, {0: strong, 1: weak, 2: strong}, n_boot=N_BOOT)
    hit = pooled.cell("Religion", "disambig").accuracy
    assert [s.verdict for s in hit.seeds] == [DEGRADED, NO_CHANGE, DEGRADED]
    assert hit.verdict == DEGRADED and hit.agreement == 2
    deltas = [s.delta for s in hit.seeds]
    assert hit.delta == pytest.approx(sum(deltas) / 3)
    calm = pooled.cell("Age", "ambig").accuracy
    assert calm.verdict == NO_CHANGE and calm.agreement == 3 and calm.mde is not None


def test_the_correction_covers_the_pooled_tests(lite_items, runs):
    base, strong, weak = runs
    pooled = compare_replicates(
        lite_items, base, {3: strong, 4: weak}, n_boot=N_BOOT, correction="bh"
    )
    raw, corrected = [], []
    for key in pooled.family:
        attribute, context, metric = key.split("/")
        change = getattr(pooled.cell(attribute, context), metric)
        raw.append(change.p)
        corrected.append(change.p_corrected)
    assert corrected == pytest.approx(adjust(raw, "bh").tolist())
    assert pooled.cell("Religion", "disambig").accuracy.p_exact is None  # no McNemar here


def test_json_round_trip_with_seeds(lite_items, runs):
    base, strong, weak = runs
    pooled = compare_replicates(lite_items, base, {0: strong, 1: weak}, n_boot=N_BOOT)
    again = SpilloverTable.from_json(pooled.to_json())
    assert again == pooled
    cell = pooled.to_dict()["rows"][0]["cells"][0]
    assert {"seeds", "agreement", "mde"} <= set(cell["accuracy"])


def test_each_seeds_own_cells_are_reported_tagged_before_the_pooled_ones(lite_items, runs):
    from auditor.core.events import CellUpdated

    base, strong, weak = runs
    seen: list[CellUpdated] = []
    pooled = compare_replicates(
        lite_items, base, {3: strong, 4: weak}, n_boot=N_BOOT, reporter=seen.append
    )
    cells = len(pooled.attributes) * 3
    assert [e.seed for e in seen] == [3] * cells + [4] * cells + [None] * cells
    single = compare_runs(lite_items, base, weak, n_boot=N_BOOT)
    own = {(e.attribute, e.context): e.payload for e in seen if e.seed == 4}
    for row in single.rows:
        for cell in row.cells:  # the seed's own, uncorrected cell as compare_runs reports it
            assert own[(row.attribute, cell.context)]["accuracy"]["delta"] == cell.accuracy.delta


def test_pooled_cells_carry_bounds_that_cover_the_seeds(lite_items, runs):
    import numpy as np

    from auditor.stats.noninferiority import accuracy_bound

    base, strong, weak = runs
    pooled = compare_replicates(lite_items, base, {0: strong, 1: weak}, n_boot=N_BOOT)
    chosen = [
        i
        for i in lite_items.values()
        if i.attribute == "Religion" and i.context_condition == "disambig"
    ]
    right = [{a.item_id: a for a in run} for run in (base, strong, weak)]
    correct = np.array([[r[i.id].correct(i) for i in chosen] for r in right])
    templates = {t: k for k, t in enumerate(dict.fromkeys(i.template for i in chosen))}
    cluster = np.array([templates[i.template] for i in chosen])
    direct = accuracy_bound(correct[0], correct[1:], cluster)
    cell = pooled.cell("Religion", "disambig")
    assert cell.accuracy.bound == direct
    one_seed = accuracy_bound(correct[0], correct[1:].mean(axis=0)[None, :], cluster)
    assert cell.accuracy.bound.se > one_seed.se  # the seeds' spread widens it
    growth = np.mean([abs(s.after) - abs(cell.bias.before) for s in cell.bias.seeds])
    assert cell.bias.bound.estimate == pytest.approx(growth)
