"""The audit pipeline end to end on a tiny real model: stages, storage, resume, reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from auditor.audit.comparison import compare_stored
from auditor.audit.gate import evaluate_gate
from auditor.audit.history import list_audits, load_audit
from auditor.audit.pipeline import plan_audit, run_audit
from auditor.audit.profiles import GateSection, load_profile
from auditor.core.events import StageFinished, TrainStep
from auditor.reports import render_report
from auditor.reports.document import Report
from auditor.store.db import Store

from ..audit_fixtures import write_tiny_profile


@pytest.fixture(scope="module")
def tiny_audit(tmp_path_factory, small_llama_dir, bbq_lite):
    folder = tmp_path_factory.mktemp("audit")
    profile = load_profile(str(write_tiny_profile(folder, small_llama_dir, bbq_lite)))
    events = []
    store = Store(folder / "runs.sqlite")
    result = run_audit(profile, store=store, reporter=events.append)
    return profile, store, result, events


def test_plan_keeps_target_on_heldout_items(small_llama_dir, bbq_lite, tmp_path):
    profile = load_profile(str(write_tiny_profile(tmp_path, small_llama_dir, bbq_lite)))
    plan = plan_audit(profile)
    target = [i for i in plan.eval_items if i.attribute == "Gender_identity"]
    assert target and all(i.id in plan.heldout_ids for i in target)
    assert {i.attribute for i in plan.eval_items} == set(profile.data.attributes)
    assert plan_audit(profile).eval_items == plan.eval_items  # seeded


def test_audit_runs_every_stage_and_stores_it(tiny_audit):
    profile, store, result, events = tiny_audit
    stages = [e.stage for e in events if isinstance(e, StageFinished)]
    assert stages == ["baseline", "align", "aligned", "compare"]
    steps = [e.step for e in events if isinstance(e, TrainStep)]
    assert steps and steps[-1] == 4
    table = result.table
    assert table.target == ("Gender_identity",) and table.attributes[0] == "Gender_identity"
    assert len(table.attributes) == 9 and table.complete
    assert table.pairing.n_paired == 72
    stored = store.audit(result.audit_id)
    assert stored.status == "done"
    assert {stored.baseline_run, stored.aligned_run} == {result.baseline_run, result.aligned_run}
    assert result.baseline_run != result.aligned_run
    assert len(store.answers(result.aligned_run)) == 72


def test_rerun_reuses_every_finished_stage(tiny_audit):
    profile, store, result, _ = tiny_audit
    events = []
    again = run_audit(profile, store=store, reporter=events.append)
    assert again.audit_id == result.audit_id
    skipped = {e.stage for e in events if isinstance(e, StageFinished) and e.skipped}
    assert skipped == {"baseline", "align", "aligned"}
    assert not [e for e in events if isinstance(e, TrainStep)]  # no training redone
    assert again.table.to_dict() == result.table.to_dict()


def test_load_audit_and_compare_stored_agree(tiny_audit, bbq_lite):
    _, store, result, _ = tiny_audit
    loaded = load_audit(store, result.audit_id[:12])
    assert loaded.table.to_dict() == result.table.to_dict()
    again = compare_stored(
        store, result.baseline_run, result.aligned_run, bbq=str(bbq_lite), n_boot=200
    ).table
    assert again.to_dict() == result.table.to_dict()
    assert list_audits(store)[0]["id"] == result.audit_id


def test_reports_in_every_format(tiny_audit):
    _, _, result, _ = tiny_audit
    gate = evaluate_gate(result.table, GateSection(min_paired=1, min_cell=1))
    report = Report(result.table, {"title": "tiny"}, gate)
    data = json.loads(render_report(report, "json"))
    assert data["schema"] == "spillover.report/2" and data["table"]["schema"] == "spillover.table/2"
    suite = ET.fromstring(render_report(report, "junit"))
    cases = suite.findall("testcase")
    assert len(cases) == 27 and int(suite.get("tests")) == 27  # ambig, disambig, overall
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert {c.get("classname") for c in skipped} == {"spillover.Gender_identity"}
    markdown = render_report(report, "markdown")
    assert "◆ **Gender_identity** (target)" in markdown and "Holm" in markdown
    rows = render_report(report, "csv").splitlines()
    # and one bias-aligned gap row an attribute, and lm-eval's and HELM's score per bias cell
    assert len(rows) == 1 + 9 * 3 * 2 + 9 + 9 * 2 * 2
    assert "Bias spillover" in render_report(report, "table")


def test_target_drilldown_uses_the_cells_items(tiny_audit, tmp_path, small_llama_dir, bbq_lite):
    """With every item evaluated, the target's cells (and their drill-down) hold only the
    held-out items, and a second table covers all of the target's items. (The target is
    the attribute with the fewest items: every one of them is scored twice.)"""
    from auditor.audit.drilldown import item_rows

    target = "Sexual_orientation"
    profile = load_profile(
        str(write_tiny_profile(tmp_path, small_llama_dir, bbq_lite)),
        [
            "data.sample=0",
            f"data.attributes=['{target}']",
            f"align.target=['{target}']",
            "align.max_steps=1",
        ],
    )
    store = Store(tmp_path / "full.sqlite")
    result = run_audit(profile, store=store)
    cell = result.table.cell(target, "ambig")
    plan = plan_audit(profile)
    rows = item_rows(
        store,
        plan.items,
        result.baseline_run,
        result.aligned_run,
        attribute=target,
        context="ambig",
        only_ids=result.items_of(target),
    )
    assert len(rows) == cell.accuracy.n > 0
    assert result.target_all is not None
    assert result.target_all.cell(target, "ambig").accuracy.n > cell.accuracy.n
    assert load_audit(store, result.audit_id).heldout_ids == result.heldout_ids
    stored = store.audit(result.audit_id).profile  # the resolved profile, overrides in
    assert stored == json.loads(json.dumps(profile.to_dict()))
    assert stored["data"]["sample"] == 0 and stored["align"]["max_steps"] == 1
