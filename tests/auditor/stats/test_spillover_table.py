"""The paired comparison and the spillover table, on real BBQ-lite items."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.core.events import Cancelled, CellUpdated
from auditor.stats import (
    COLUMNS,
    DEGRADED,
    IMPROVED,
    NO_CHANGE,
    PENDING,
    UNDEFINED,
    SpilloverTable,
    compare_attribute,
    compare_runs,
    pair_runs,
    start_table,
)

N_BOOT = 500


def _correct(items):
    return [Answer(i, item.label) for i, item in items.items()]


def _flip(answers, items, attribute, context, every=2, to="unknown"):
    """Re-answer every ``every``-th item of one cell: wrong (the unknown option, or the
    first wrong non-unknown one) or, for to='biased', the biased option."""
    out, seen = [], 0
    for a in answers:
        item = items[a.item_id]
        if item.attribute == attribute and item.context_condition == context:
            seen += 1
            if seen % every == 0:
                if to == "biased" and item.roles is not None:
                    a = Answer(a.item_id, item.roles.biased)
                elif to == "unknown":
                    a = Answer(a.item_id, item.unknown_index)
        out.append(a)
    return out


@pytest.fixture(scope="module")
def baseline(lite_items):
    return _correct(lite_items)


def test_identical_runs_change_nothing(lite_items, baseline):
    table = compare_runs(lite_items, baseline, baseline, n_boot=N_BOOT)
    assert table.complete and table.pairing.n_paired == len(lite_items)
    assert table.attributes[0] == "Gender_identity" and table.rows[0].is_target
    for row in table.rows:
        for cell in row.cells:
            acc = cell.accuracy
            assert (acc.b, acc.c, acc.p, acc.p_exact, acc.p_mid, acc.delta) == (
                0,
                0,
                1.0,
                1.0,
                1.0,
                0.0,
            )
            assert acc.verdict == NO_CHANGE and acc.marker == ""
            if cell.context == "overall":
                assert cell.bias.verdict == UNDEFINED and cell.bias.delta is None
            elif cell.bias.before is not None:
                assert cell.bias.delta == 0.0 and cell.bias.p == 1.0
                # no item changed: the CI bounds what could change unseen, never [0, 0]
                low, high = cell.bias.ci
                assert low < 0.0 < high and cell.bias.verdict == NO_CHANGE
    # all correct: ambig answers are all unknown -> s_AMB = 0 in every row
    assert all(table.cell(a, "ambig").bias.before == 0.0 for a in table.attributes)


def test_flips_in_one_cell_degrade_that_cell_only(lite_items, baseline):
    after = _flip(baseline, lite_items, "Religion", "disambig", every=3)
    table = compare_runs(lite_items, baseline, after, n_boot=N_BOOT)
    hit = table.cell("Religion", "disambig").accuracy
    assert hit.c == 0 and hit.b == 340 // 3  # 340 disambiguated Religion items
    assert hit.verdict == DEGRADED and hit.p_corrected < 1e-6 and hit.marker == "▼***"
    assert hit.ci[1] < 0 and hit.delta == pytest.approx(-113 / 340)
    # the overall column pools the cell, so it moves too; nothing else does
    assert table.cell("Religion", "overall").accuracy.verdict == DEGRADED
    for row in table.rows:
        for cell in row.cells:
            if row.attribute != "Religion" or cell.context == "ambig":
                assert cell.accuracy.verdict == NO_CHANGE, (row.attribute, cell.context)
                assert cell.accuracy.p == 1.0


def test_bias_moving_away_from_zero_is_degraded(lite_items, baseline):
    # ambiguous Age items: correct (unknown) -> biased option on a third of them
    after = _flip(baseline, lite_items, "Age", "ambig", every=3, to="biased")
    table = compare_runs(lite_items, baseline, after, n_boot=N_BOOT)
    bias = table.cell("Age", "ambig").bias
    # s_AMB after = (1 − 448/672) · (2·224/224 − 1) = 1/3
    assert bias.before == 0.0 and bias.after == pytest.approx(1 / 3)
    assert bias.verdict == DEGRADED and bias.marker.startswith("▲") and bias.ci[0] > 0
    assert bias.p < 1e-12 and bias.p_corrected < 1e-10 and bias.marker == "▲***"
    assert 0.005 < bias.se < 0.05
    # and the reverse comparison: |bias| back toward 0
    back = compare_runs(lite_items, after, baseline, n_boot=N_BOOT).cell("Age", "ambig").bias
    assert back.verdict == IMPROVED and back.marker.startswith("▼")
    assert back.delta == -bias.delta


def test_unpaired_items_are_counted_not_paired(lite_items, baseline):
    ids = list(lite_items)
    after = [a for a in baseline if a.item_id not in set(ids[:10])]
    extra = baseline[:10]
    table = compare_runs(lite_items, baseline[10:] + [extra[0]], after, n_boot=10)
    assert table.pairing.n_paired == len(ids) - 10
    assert (table.pairing.only_before, table.pairing.only_after) == (1, 0)


def test_row_alone_equals_row_in_table_and_partial_filling(lite_items, baseline):
    after = _flip(baseline, lite_items, "SES", "ambig", every=4, to="biased")
    full = compare_runs(lite_items, baseline, after, n_boot=N_BOOT, seed=3)
    frame = pair_runs(lite_items, baseline, after)
    alone = compare_attribute(frame, "SES", n_boot=N_BOOT, seed=3)
    assert alone.cells[0].bias.ci == full.cell("SES", "ambig").bias.ci
    assert alone.cells[0].accuracy.verdict == PENDING  # not corrected on its own

    table = start_table(frame, n_boot=N_BOOT, seed=3)
    assert not table.complete and table.family == ()
    table = table.with_row(alone)
    assert table.row("SES").cells[0].accuracy.verdict == DEGRADED
    assert len(table.family) == 5  # ambig acc+bias, disambig acc+bias, overall acc
    for row in full.rows:
        for cell in row.cells:
            table = table.with_cell(cell)
    # the gaps are computed from the paired runs, not from cells: the rest is identical
    assert table.complete and table == dataclasses.replace(full, gaps=())


def test_json_round_trip(lite_items, baseline):
    after = _flip(baseline, lite_items, "Nationality", "disambig", every=2)
    table = compare_runs(
        lite_items,
        baseline,
        after,
        ("Gender_identity", "Age"),
        n_boot=N_BOOT,
        correction="bh",
        accuracy_test="midp",
    )
    text = table.to_json()
    assert '"schema": "spillover.table/2"' in text and "NaN" not in text
    again = SpilloverTable.from_json(text)
    assert again == table
    assert again.attributes[:2] == ("Gender_identity", "Age")
    assert again.correction == "bh" and len(again.family) == 45
    with pytest.raises(InputError, match="schema"):
        SpilloverTable.from_json('{"schema": "other/1"}')
    with pytest.raises(InputError, match="not valid JSON"):
        SpilloverTable.from_json("{")


def test_events_cancel_and_bad_settings(lite_items, baseline):
    seen = []
    compare_runs(
        lite_items, baseline, baseline, attributes=["Religion"], n_boot=10, reporter=seen.append
    )
    assert [(e.attribute, e.context) for e in seen] == [
        (a, c) for a in ("Gender_identity", "Religion") for c in COLUMNS
    ]
    assert all(isinstance(e, CellUpdated) and "accuracy" in e.payload for e in seen)
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        compare_runs(lite_items, baseline, baseline, n_boot=10, cancel=stop)
    for kwargs, message in [
        ({"target": ("gender",)}, "unknown target"),
        ({"attributes": ["Colour"]}, "unknown attribute"),
        ({"correction": "bonferroni"}, "unknown correction"),
        ({"accuracy_test": "fisher"}, "unknown McNemar test"),
        ({"alpha": 1.5}, "alpha"),
        ({"n_boot": 0}, "n_boot"),
    ]:
        with pytest.raises(InputError, match=message):
            compare_runs(lite_items, baseline, baseline, **kwargs)


def test_absent_target_gives_an_undefined_row(lite_items, baseline):
    age = {i: item for i, item in lite_items.items() if item.attribute == "Age"}
    answers = [a for a in baseline if a.item_id in age]
    table = compare_runs(age, answers, answers, n_boot=10)
    assert table.attributes == ("Gender_identity", "Age")
    target = table.row("Gender_identity")
    assert all(c.accuracy.n == 0 and c.accuracy.verdict == UNDEFINED for c in target.cells)
    assert target.cell("ambig").bias.reason == "before: no items; after: no items"
    assert len(table.family) == 5  # Age only


def test_each_cell_carries_the_bound_a_direct_call_on_the_answers_gives(lite_items):
    import numpy as np

    from auditor.stats.noninferiority import accuracy_bound

    base = _correct(lite_items)
    after = _flip(base, lite_items, "Age", "ambig", every=3)
    table = compare_runs(lite_items, base, after, n_boot=N_BOOT)
    by_id = {a.item_id: a for a in after}
    for context in COLUMNS:
        chosen = [
            i
            for i in lite_items.values()
            if i.attribute == "Age" and context in ("overall", i.context_condition)
        ]
        before_right = np.ones(len(chosen), dtype=bool)
        after_right = np.array([by_id[i.id].correct(i) for i in chosen])
        templates = {t: k for k, t in enumerate(dict.fromkeys(i.template for i in chosen))}
        cluster = np.array([templates[i.template] for i in chosen])
        direct = accuracy_bound(before_right, after_right[None, :], cluster)
        stored = table.cell("Age", context).accuracy.bound
        assert stored == direct
        assert stored.upper(0.05) == pytest.approx(direct.upper(0.05))
    hit = table.cell("Age", "ambig")
    assert hit.accuracy.bound.estimate == pytest.approx(-hit.accuracy.delta)
    growth = abs(hit.bias.after) - abs(hit.bias.before)
    assert hit.bias.bound.estimate == pytest.approx(growth)
    assert hit.bias.bound.n_clusters == hit.bias.n_clusters
    assert table.cell("Age", "overall").bias.bound is None


def test_bounds_survive_json_and_tables_stored_before_read_with_none(lite_items):
    import json

    base = _correct(lite_items)
    table = compare_runs(
        lite_items,
        base,
        _flip(base, lite_items, "Age", "ambig"),
        n_boot=N_BOOT,
        attributes=["Gender_identity", "Age"],
    )
    back = SpilloverTable.from_json(table.to_json())
    assert back.cell("Age", "ambig").accuracy.bound == table.cell("Age", "ambig").accuracy.bound
    assert back.cell("Age", "ambig").bias.bound == table.cell("Age", "ambig").bias.bound
    old = json.loads(table.to_json())
    for row in old["rows"]:
        for cell in row["cells"]:
            del cell["accuracy"]["bound"], cell["bias"]["bound"]
    earlier = SpilloverTable.from_dict(old)
    assert earlier.cell("Age", "ambig").accuracy.bound is None
    assert earlier.cell("Age", "ambig").bias.bound is None
