"""The MDE of every accuracy cell in the spillover table, and how reports show it."""

from __future__ import annotations

import pytest

from auditor.core.answers import Answer
from auditor.reports.cells import accuracy_cell, bias_cell, power_note
from auditor.reports.csv_rows import HEADER, to_csv
from auditor.reports.document import Report
from auditor.stats import NO_CHANGE, SpilloverTable, compare_runs
from auditor.stats.power import cell_level, mcnemar_power, mde

N_BOOT = 300


@pytest.fixture(scope="module")
def tables(lite_items):
    before = [Answer(i, item.label) for i, item in lite_items.items()]
    after, seen = [], 0
    for a in before:  # every fourth disambiguated Age item turns wrong
        item = lite_items[a.item_id]
        if item.attribute == "Age" and item.context_condition == "disambig":
            seen += 1
            if seen % 4 == 0:
                a = Answer(a.item_id, item.unknown_index)
        after.append(a)
    same = compare_runs(lite_items, before, before, n_boot=N_BOOT)
    changed = compare_runs(lite_items, before, after, n_boot=N_BOOT)
    return same, changed


def test_identical_runs_get_the_bonferroni_level_mde(tables):
    same, _ = tables
    level = same.alpha / len(same.family)  # every p is 1: Holm's first step for any cell
    for row in same.rows:
        for cell in row.cells:
            acc = cell.accuracy
            assert acc.mde == pytest.approx(mde(acc.n, 0.0, level), abs=1e-9)
            assert mcnemar_power(acc.n, 0.0, acc.mde, level) == pytest.approx(0.8, abs=1e-3)


def test_mde_uses_the_cells_discordance_and_shrinks_with_n(tables):
    _, changed = tables
    hit = changed.cell("Age", "disambig").accuracy
    assert hit.verdict == "degraded" and hit.mde is not None
    assert hit.mde < abs(hit.delta)  # a change this size was detectable, and was detected
    ambig = changed.cell("Age", "ambig").accuracy
    assert ambig.verdict == NO_CHANGE and ambig.b + ambig.c == 0
    pvalues = [
        getattr(changed.cell(*key.split("/")[:2]), key.split("/")[2]).p for key in changed.family
    ]
    for context in ("disambig", "overall"):
        acc = changed.cell("Age", context).accuracy
        index = changed.family.index(f"Age/{context}/accuracy")
        level = cell_level(pvalues, index, "holm", changed.alpha)
        assert acc.mde == pytest.approx(mde(acc.n, (acc.b + acc.c) / acc.n, level))
        # the MDE at the corrected level exceeds the one at the uncorrected alpha
        assert acc.mde > mde(acc.n, (acc.b + acc.c) / acc.n, changed.alpha)


def test_partial_tables_have_no_mde_yet(lite_items):
    before = [Answer(i, item.label) for i, item in lite_items.items()]
    from auditor.stats import start_table
    from auditor.stats.compare import compare_attribute, pair_runs

    frame = pair_runs(lite_items, before, before)
    table = start_table(frame, n_boot=N_BOOT).with_row(
        compare_attribute(frame, "Age", n_boot=N_BOOT)
    )
    assert not table.complete and table.cell("Age", "ambig").accuracy.mde is None


def test_reports_show_mde_and_ci_width_for_nulls(tables):
    same, changed = tables
    acc = changed.cell("Age", "ambig").accuracy
    assert power_note(acc) == f"MDE {100 * acc.mde:.0f} pp"
    assert accuracy_cell(acc).endswith(f"n.s. (MDE {100 * acc.mde:.0f} pp))")
    hit = changed.cell("Age", "disambig").accuracy
    assert "MDE" not in accuracy_cell(hit)  # a significant cell needs no power note
    bias = same.cell("Age", "disambig").bias
    width = bias.ci[1] - bias.ci[0]
    assert bias_cell(bias).endswith(f"n.s. (CI width {width:.2f}))")
    rows = to_csv(Report(changed, {}, None, None)).splitlines()
    column = HEADER.index("mde")
    assert rows[0].split(",")[column] == "mde"
    assert any(
        r.startswith("Age,False,ambig,accuracy,") and r.split(",")[column] == repr(acc.mde)
        for r in rows
    )


def test_json_round_trip_keeps_mde(tables):
    _, changed = tables
    again = SpilloverTable.from_json(changed.to_json())
    assert again == changed
    data = changed.to_dict()
    assert all("mde" in c["accuracy"] for r in data["rows"] for c in r["cells"])
