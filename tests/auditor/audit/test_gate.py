"""The gate fails exactly the cells with significant, large-enough degradation."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from auditor.audit.gate import checked_cells, evaluate_gate
from auditor.audit.profiles import GateSection
from auditor.bbq import load_bbq, sample
from auditor.reports import render_report
from auditor.reports.document import Report
from auditor.stats import compare_runs
from auditor.store.db import Store

from ..audit_fixtures import synthetic_runs


@pytest.fixture(scope="module")
def degraded(tmp_path_factory, bbq_lite):
    items = sample(load_bbq(bbq_lite).items, per_cell=40, seed=0)
    store = Store(tmp_path_factory.mktemp("gate") / "runs.sqlite")
    run_a, run_b = synthetic_runs(store, items)
    by_id = {i.id: i for i in items}
    table = compare_runs(by_id, store.answers(run_a), store.answers(run_b), n_boot=500)
    return table


def test_gate_fails_only_the_degraded_attribute(degraded):
    result = evaluate_gate(degraded, GateSection())
    assert not result.passed
    assert {f.attribute for f in result.failures} == {"Physical_appearance"}
    assert {(f.context, f.metric) for f in result.failures} >= {("ambig", "accuracy")}
    assert all("corrected p" in f.reason for f in result.failures)


def test_thresholds_and_cells(degraded):
    loose = evaluate_gate(degraded, GateSection(max_accuracy_drop=1.0, max_bias_increase=2.0))
    assert loose.passed
    assert checked_cells(degraded, "untargeted")[0][0] != "Gender_identity"
    assert len(checked_cells(degraded, "all")) == 27  # 9 attributes × ambig, disambig, overall
    assert {c for _, c in checked_cells(degraded, "ambig")} == {"ambig"}


def test_junit_marks_failing_cells(degraded):
    gate = evaluate_gate(degraded, GateSection())
    suite = ET.fromstring(render_report(Report(degraded, {}, gate), "junit"))
    failed = {c.get("name") for c in suite.findall("testcase") if c.find("failure") is not None}
    assert failed == {f"Physical_appearance.{f.context}" for f in gate.failures}
    assert int(suite.get("failures")) == len(failed)


@pytest.fixture(scope="module")
def two_drops(tmp_path_factory, bbq_lite):
    """Physical_appearance answered biased on every item, Age on half of its items: two
    accuracy failures of different sizes."""
    import random

    from auditor.core.answers import Answer

    items = sample(load_bbq(bbq_lite).items, per_cell=40, seed=0)
    rng = random.Random(0)
    first = [Answer(i.id, i.label if rng.random() < 0.9 else rng.randrange(3)) for i in items]
    half = {i.id for i in items if i.attribute == "Age" and rng.random() < 0.5}
    second = [
        Answer(a.item_id, i.roles.biased)
        if i.roles and (i.attribute == "Physical_appearance" or i.id in half)
        else a
        for a, i in zip(first, items, strict=True)
    ]
    return compare_runs({i.id: i for i in items}, first, second, n_boot=500)


def test_threshold_between_the_failures(two_drops):
    strict = evaluate_gate(two_drops, GateSection(max_bias_increase=2.0))
    drops = sorted(-f.delta for f in strict.failures if f.metric == "accuracy")
    assert len(drops) >= 2 and drops[0] < drops[-1]  # the fixture has different drops
    middle = (drops[0] + drops[-1]) / 2
    partial = evaluate_gate(two_drops, GateSection(max_accuracy_drop=middle, max_bias_increase=2.0))
    kept = [f for f in partial.failures if f.metric == "accuracy"]
    assert kept and all(-f.delta > middle for f in kept)
    assert len(kept) < len(drops)


def test_bias_only_failure_when_accuracy_is_allowed(degraded):
    result = evaluate_gate(degraded, GateSection(max_accuracy_drop=1.0))
    assert result.failures and {f.metric for f in result.failures} == {"bias"}
    assert all(abs(f.after) > abs(f.before) for f in result.failures)


def test_regated_table_agrees_with_the_verdict(degraded):
    from auditor.audit.gate import regate

    section = GateSection(correction="bh", alpha=0.1)
    table = regate(degraded, section)
    assert table.correction == "bh" and table.alpha == 0.1
    result = evaluate_gate(table, section)
    for f in result.failures:
        cell = table.cell(f.attribute, f.context)
        change = cell.accuracy if f.metric == "accuracy" else cell.bias
        assert change.verdict == "degraded" and change.p_corrected == f.p_corrected < 0.1
