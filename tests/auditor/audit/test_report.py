"""The report builder: two stored runs' report, gated or not, with their flipped items,
checked against the engine's parts called one by one."""

from __future__ import annotations

import pytest

from auditor.audit.comparison import compare_stored
from auditor.audit.drilldown import item_rows
from auditor.audit.gate import evaluate_gate, regate
from auditor.audit.profiles import GateSection
from auditor.audit.report import runs_report
from auditor.bbq import load_bbq, sample
from auditor.store.db import Store

from ..audit_fixtures import synthetic_runs


@pytest.fixture(scope="module")
def stored(tmp_path_factory, bbq_lite):
    items = sample(load_bbq(bbq_lite).items, per_cell=40, seed=0)
    store = Store(tmp_path_factory.mktemp("report") / "runs.sqlite")
    run_a, run_b = synthetic_runs(store, items)
    yield store, run_a, run_b, {i.id: i for i in items}
    store.close()


def test_two_runs_report_is_the_comparison_with_subject_and_flips(stored, bbq_lite):
    store, run_a, run_b, by_id = stored
    stats = {"n_boot": 500}
    report, verdict = runs_report(
        store, run_a, run_b, bbq=str(bbq_lite), stats=stats, notes=("a note",), flips=True
    )
    expected = compare_stored(store, run_a, run_b, bbq=str(bbq_lite), **stats).table
    assert verdict is None and report.gate is None and report.table == expected
    assert report.subject["before"] == run_a and report.subject["notes"] == ["a note"]
    flipped = item_rows(store, by_id, run_a, run_b, show="flipped")
    assert len(report.flips) == len(flipped) > 0
    plain, _ = runs_report(store, run_a, run_b, bbq=str(bbq_lite), stats=stats)
    assert plain.flips == () and "notes" not in plain.subject


def test_a_gated_report_carries_the_gates_verdict_on_the_regated_table(stored, bbq_lite):
    store, run_a, run_b, _ = stored
    section = GateSection(correction="bh", alpha=0.01)
    report, verdict = runs_report(
        store, run_a, run_b, bbq=str(bbq_lite), stats={"n_boot": 500}, section=section
    )
    table = regate(
        compare_stored(store, run_a, run_b, bbq=str(bbq_lite), n_boot=500).table, section
    )
    assert report.table == table and report.gate is verdict
    assert verdict == evaluate_gate(table, section, ())
    assert {f.attribute for f in verdict.failures} == {"Physical_appearance"}


def test_a_gate_that_cannot_judge_an_unfinished_run_refuses(stored, bbq_lite):
    from auditor.audit.gate_inputs import run_problems

    store, run_a, _, by_id = stored
    items = list(by_id.values())
    run_c = store.create_or_get_run("eval", "unfinished", model="synthetic", total=len(items))
    store.add_answers(run_c, items, store.answers(run_a))  # left "running"
    _, verdict = runs_report(
        store, run_a, run_c, bbq=str(bbq_lite), stats={"n_boot": 200}, section=GateSection()
    )
    assert verdict.refused and not verdict.passed
    assert list(verdict.refusals) == run_problems(store, run_a, run_c) != []
