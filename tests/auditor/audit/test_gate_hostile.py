"""Hostile gate cases: the gate's verdict agrees with its own table, a run is never gated
against itself or against other data, and a sign flip of the bias score is not a change."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from auditor.audit.gate import RULE, evaluate_gate
from auditor.audit.profiles import GateSection
from auditor.bbq import load_bbq, sample
from auditor.cli import main
from auditor.core.answers import Answer
from auditor.stats import compare_runs
from auditor.stats.verdicts import NO_CHANGE
from auditor.store.db import Store

WRONG_PER_CELL = 6  # right → wrong per untargeted cell: p = 2^-5 per cell, 2^-11 overall


@pytest.fixture(scope="module")
def items(bbq_lite):
    return sample(load_bbq(bbq_lite).items, per_cell=40, seed=0)


def _store_run(store, name, items, answers, **fields):
    run = store.create_or_get_run("eval", name, model="m", total=len(items), **fields)
    store.add_answers(run, items, answers)
    store.update_run(run, "done")
    return run


def _spread_drop(items):
    """Every answer right before; after, the first WRONG_PER_CELL items of each untargeted
    attribute × context cell answer a wrong option. Each context alone: McNemar b = 6,
    c = 0 (p = 0.031, n.s. after correction); overall b = 12, c = 0 (p = 0.00049)."""
    before = [Answer(i.id, i.label) for i in items]
    seen: dict[tuple[str, str], int] = {}
    after = []
    for i in items:
        key = (i.attribute, i.context_condition)
        seen[key] = seen.get(key, 0) + 1
        wrong = i.attribute != "Gender_identity" and seen[key] <= WRONG_PER_CELL
        after.append(Answer(i.id, (i.label + 1) % 3 if wrong else i.label))
    return before, after


@pytest.fixture(scope="module")
def spread(tmp_path_factory, items):
    path = tmp_path_factory.mktemp("hostile") / "runs.sqlite"
    before, after = _spread_drop(items)
    with Store(path) as store:
        a = _store_run(store, "a", items, before)
        b = _store_run(store, "b", items, after)
    return path, a, b


def _gate(path, a, b, bbq, *flags, out=None):
    outputs = []
    if out is not None:
        for name in ("gate.json", "gate.md", "gate.xml", "gate.html"):
            outputs += ["--output", str(out / name)]
    return CliRunner().invoke(
        main, ["gate", a, b, "--store", str(path), "--bbq", str(bbq), *flags, *outputs]
    )


def _degraded_cells(report: dict) -> set[tuple[str, str, str]]:
    found = set()
    for row in report["table"]["rows"]:
        for cell in row["cells"]:
            for metric in ("accuracy", "bias"):
                if cell[metric]["verdict"] == "degraded":
                    found.add((row["attribute"], cell["context"], metric))
    return found


def _listed(gate: dict) -> set[tuple[str, str, str]]:
    return {
        (f["attribute"], f["context"], f["metric"])
        for key in ("failures", "tolerated", "unconfirmed")
        for f in gate[key]
    }


def test_overall_degradation_fails_the_gate(spread, bbq_lite, tmp_path):
    """The overall cells spend α in the family, so the gate judges them: a drop spread
    over both contexts fails (it passed, 16 cells checked, above eight DEGRADED cells)."""
    path, a, b = spread
    result = _gate(
        path,
        a,
        b,
        bbq_lite,
        "--max-accuracy-drop",
        "0.02",
        "--max-bias-increase",
        "2",
        out=tmp_path,
    )
    assert result.exit_code == 1, result.output
    report = json.loads((tmp_path / "gate.json").read_text())
    gate = report["gate"]
    overall = {(f["attribute"], f["context"]) for f in gate["failures"]}
    untargeted = [x for x in report["table"]["attributes"] if x != "Gender_identity"]
    assert {(x, "overall") for x in untargeted} <= overall
    assert _degraded_cells(report) <= _listed(gate)  # the table never contradicts the verdict
    markdown = (tmp_path / "gate.md").read_text()
    assert "PASSED" not in markdown and "FAILED" in markdown
    suite = ET.fromstring((tmp_path / "gate.xml").read_text())
    failed = {c.get("name") for c in suite.findall("testcase") if c.find("failure") is not None}
    assert {f"{x}.overall" for x in untargeted} <= failed
    assert int(suite.get("failures")) == len(failed) >= len(untargeted)
    assert "FAIL Age/overall accuracy" in result.stderr


def test_every_degraded_cell_is_accounted_for(spread, bbq_lite, tmp_path):
    """A pass with degraded cells within the allowance lists them, in every report."""
    path, a, b = spread
    result = _gate(
        path, a, b, bbq_lite, "--max-accuracy-drop", "0.5", "--max-bias-increase", "2", out=tmp_path
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "gate.json").read_text())
    degraded = _degraded_cells(report)
    assert degraded and degraded <= {
        (f["attribute"], f["context"], f["metric"]) for f in report["gate"]["tolerated"]
    }
    assert "within the allowed change" in (tmp_path / "gate.md").read_text()
    assert "within the allowed change" in (tmp_path / "gate.html").read_text()
    assert "within the allowed change" in result.stdout


def test_the_rule_is_stated_in_every_report(spread, bbq_lite, tmp_path):
    path, a, b = spread
    result = _gate(path, a, b, bbq_lite, "--max-bias-increase", "2", out=tmp_path)
    report = json.loads((tmp_path / "gate.json").read_text())
    family = report["gate"]["settings"]["family"]
    assert report["gate"]["rule"] == RULE and family == len(report["table"]["family"])
    assert family == 8 * 5  # 8 untargeted attributes: 2 contexts × 2 tests + overall accuracy
    assert RULE.split(":")[0] in (tmp_path / "gate.md").read_text()
    assert RULE.split(":")[0] in html.unescape((tmp_path / "gate.html").read_text())
    assert "correction family is exactly" in " ".join(result.stdout.split())
    suite = ET.fromstring((tmp_path / "gate.xml").read_text())
    rule = suite.find("properties/property[@name='gate.rule']")
    assert rule is not None and rule.get("value").startswith(RULE)


def test_cells_outside_the_family_are_not_gated(spread, bbq_lite, tmp_path):
    path, a, b = spread
    _gate(path, a, b, bbq_lite, out=tmp_path)
    report = json.loads((tmp_path / "gate.json").read_text())
    target = next(r for r in report["table"]["rows"] if r["attribute"] == "Gender_identity")
    for cell in target["cells"]:
        assert cell["accuracy"]["verdict"] == "not gated"
        assert cell["accuracy"]["p_corrected"] is None and cell["accuracy"]["marker"] == ""
    assert not any(key.startswith("Gender_identity/") for key in report["table"]["family"])


def test_a_run_against_itself_is_refused(spread, bbq_lite, tmp_path):
    path, a, _ = spread
    before = path.read_bytes()
    result = _gate(path, a, a, bbq_lite, out=tmp_path)
    assert result.exit_code == 2, result.output
    errors = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and "compared with itself" in errors[0]
    assert "Traceback" not in result.output
    assert "REFUSED" in (tmp_path / "gate.md").read_text()
    assert path.read_bytes() == before


def test_runs_on_different_data_are_refused(tmp_path, items, bbq_lite):
    """The runs' data checksums differ (item content edited): refused, not gated."""
    path = tmp_path / "runs.sqlite"
    answers = [Answer(i.id, i.label) for i in items]
    with Store(path) as store:
        a = _store_run(store, "a", items, answers, data_checksum="aaaa1111")
        b = _store_run(store, "b", items, answers, data_checksum="bbbb2222")
        c = _store_run(store, "c", items, answers, settings={"items_checksum": "1234"})
        d = _store_run(store, "d", items, answers, settings={"items_checksum": "5678"})
    result = _gate(path, a, b, bbq_lite)
    assert result.exit_code == 2, result.output
    assert "different BBQ data" in result.stderr and "aaaa1111" in result.stderr
    result = _gate(path, c, d, bbq_lite)
    assert result.exit_code == 2 and "evaluated items differ" in result.stderr


def test_gate_does_not_fail_a_sign_flip(items):
    """A disambiguated cell whose 39 non-unknown answers go from 26 biased to 13 biased:
    a significant Δ of −2/3 with |bias| unchanged is neither degraded nor improved."""
    cell = [
        i
        for i in items
        if i.attribute == "Age" and i.context_condition == "disambig" and i.roles is not None
    ][:39]
    first, second = [], []
    for k, i in enumerate(cell):
        biased = k % 3 != 0  # 26 of 39
        first.append(Answer(i.id, i.roles.biased if biased else i.roles.anti_biased))
        second.append(Answer(i.id, i.roles.anti_biased if biased else i.roles.biased))
    # second: 13 biased (the k % 3 == 0 items) of 39
    by_id = {i.id: i for i in cell}
    table = compare_runs(
        by_id, first, second, target=("Gender_identity",), attributes=("Age",), n_boot=500
    )
    bias = table.cell("Age", "disambig").bias
    assert bias.before == pytest.approx(1 / 3) and bias.after == pytest.approx(-1 / 3)
    assert bias.p < 0.05 and bias.verdict == NO_CHANGE
    gate = evaluate_gate(
        table, GateSection(min_paired=1, min_cell=1, max_accuracy_drop=1.0, cells="all")
    )
    assert not [f for f in gate.failures if f.metric == "bias"]
    assert not [f for f in gate.tolerated if f.metric == "bias"]


def test_junit_without_a_gate_shows_the_table_it_judged(items):
    """`compare --format junit` judges as a default gate: the p it prints for a failing
    case is the one its verdict used (the gate's family), not the whole table's."""
    from auditor.audit.gate import regate
    from auditor.reports import render_report
    from auditor.reports.document import Report

    before, after = _spread_drop(items)
    table = compare_runs({i.id: i for i in items}, before, after, n_boot=200)
    suite = ET.fromstring(render_report(Report(table, {}, None), "junit"))
    case = next(c for c in suite.findall("testcase") if c.get("name") == "Age.overall")
    judged = regate(table, GateSection()).cell("Age", "overall").accuracy
    assert case.find("failure") is not None
    assert f"p_corrected={judged.p_corrected}" in case.find("system-out").text
    assert judged.p_corrected != table.cell("Age", "overall").accuracy.p_corrected
