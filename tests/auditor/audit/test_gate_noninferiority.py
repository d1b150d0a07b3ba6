"""The gate in non-inferiority mode: non-inferior, inconclusive and degraded cells, on
stored runs of real BBQ-lite items, through the engine and the CLI (exit code 4)."""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from auditor.audit.gate import evaluate_gate
from auditor.audit.profiles import GateSection
from auditor.bbq import load_bbq, sample
from auditor.cli import main
from auditor.core.answers import Answer
from auditor.reports import render_report
from auditor.reports.document import Report
from auditor.stats import compare_runs
from auditor.store.db import Store

from ..audit_fixtures import synthetic_runs

NI = dict(mode="noninferiority", min_cell=5)


@pytest.fixture(scope="module")
def items(bbq_lite):
    return sample(load_bbq(bbq_lite).items, per_cell=12, seed=0)  # 24 items a cell


def _answers(items, seed=0):
    rng = random.Random(seed)
    return [Answer(i.id, i.label if rng.random() < 0.7 else rng.randrange(3)) for i in items]


@pytest.fixture(scope="module")
def same(tmp_path_factory, items):
    """Two stored runs with identical answers on a few dozen items a cell."""
    path = tmp_path_factory.mktemp("ni") / "runs.sqlite"
    answers = _answers(items)
    with Store(path) as store:
        runs = []
        for name in ("a", "b"):
            run = store.create_or_get_run("eval", name, model="m", total=len(items))
            store.add_answers(run, items, answers)
            store.update_run(run, "done")
            runs.append(run)
    return path, *runs


@pytest.fixture(scope="module")
def same_table(items):
    answers = _answers(items)
    return compare_runs({i.id: i for i in items}, answers, answers, n_boot=300)


def test_identical_answers_on_a_few_dozen_items_are_inconclusive_never_passed(same_table):
    significance = evaluate_gate(same_table, GateSection(min_cell=5))
    assert significance.passed and significance.mode == "significance"
    assert not significance.judgements and not significance.inconclusive
    result = evaluate_gate(same_table, GateSection(**NI))
    assert not result.passed and result.inconclusive and not result.failures
    assert result.outcome == "inconclusive"
    # every checked cell judged: accuracy in ambig, disambig, overall; bias in two contexts
    assert len(result.judgements) == 5 * len({a for a, _ in result.checked})
    for j in result.judgements:
        assert j.verdict == "inconclusive" and j.estimate == 0.0
        assert j.upper > j.margin  # the unchanged-data floor, never a zero-width bound
        assert j.items_needed > j.n
    assert "intersection–union" in result.rule


def test_margins_the_data_can_show_pass_and_overrides_apply(same_table):
    wide = GateSection(**NI, margin_accuracy=0.6, margin_bias=1.5)
    assert evaluate_gate(same_table, wide).passed
    one = GateSection(
        **NI, margin_accuracy=0.6, margin_bias=1.5, accuracy_margins=("Physical_appearance=0.03",)
    )
    result = evaluate_gate(same_table, one)
    assert result.inconclusive
    open_ = {(j.attribute, j.metric) for j in result.judgements if j.verdict == "inconclusive"}
    assert open_ == {("Physical_appearance", "accuracy")}
    assert {
        j.margin
        for j in result.judgements
        if j.attribute == "Physical_appearance" and j.metric == "accuracy"
    } == {0.03}


def test_a_degraded_cell_still_fails_in_noninferiority_mode(tmp_path, items):
    with Store(tmp_path / "runs.sqlite") as store:
        a, b = synthetic_runs(store, sample(items, per_cell=12, seed=0))
        by_id = {i.id: i for i in items}
        table = compare_runs(by_id, store.answers(a), store.answers(b), n_boot=300)
    result = evaluate_gate(table, GateSection(**NI, margin_accuracy=0.6, margin_bias=1.5))
    assert result.failures and not result.passed and not result.inconclusive
    assert result.outcome == "degraded"
    judged = {(j.attribute, j.context, j.metric): j.verdict for j in result.judgements}
    for f in result.failures:  # a failing cell is judged degraded, whatever its bound
        assert judged[(f.attribute, f.context, f.metric)] == "degraded"
    assert "degraded" not in {v for (a, _, _), v in judged.items() if a != "Physical_appearance"}


def test_a_table_stored_before_bounds_is_refused_not_judged(same_table):
    import dataclasses

    rows = tuple(
        dataclasses.replace(
            r,
            cells=tuple(
                dataclasses.replace(
                    c,
                    accuracy=dataclasses.replace(c.accuracy, bound=None),
                    bias=dataclasses.replace(c.bias, bound=None),
                )
                for c in r.cells
            ),
        )
        for r in same_table.rows
    )
    old = dataclasses.replace(same_table, rows=rows)
    result = evaluate_gate(old, GateSection(**NI, margin_accuracy=0.6, margin_bias=1.5))
    assert result.refused and not result.passed
    assert "no non-inferiority bound" in result.refusals[0]


def test_reports_state_the_mode_bound_margin_and_items_needed(same_table):
    result = evaluate_gate(same_table, GateSection(**NI))
    report = Report(same_table, {}, result)
    data = json.loads(render_report(report, "json"))["gate"]
    assert data["mode"] == "noninferiority" and data["inconclusive"] is True
    assert data["outcome"] == "inconclusive" and not data["passed"]
    first = data["judgements"][0]
    assert {"upper", "margin", "items_needed", "verdict", "estimate", "n"} <= set(first)
    markdown = render_report(report, "markdown")
    assert "INCONCLUSIVE" in markdown and "judged in non-inferiority mode" in markdown
    assert (
        "| cell | metric | estimate | upper bound | margin | judgement | items needed |" in markdown
    )
    suite = ET.fromstring(render_report(report, "junit"))
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["gate.mode"] == "noninferiority"
    kinds = {
        c.find("failure").get("type")
        for c in suite.findall("testcase")
        if c.find("failure") is not None
    }
    assert kinds == {"inconclusive"}
    failed = sum(c.find("failure") is not None for c in suite.findall("testcase"))
    assert failed == len(result.checked) == int(suite.get("failures"))
    html = render_report(report, "html")
    assert "INCONCLUSIVE" in html and 'class="judgements"' in html
    plain = render_report(
        Report(same_table, {}, evaluate_gate(same_table, GateSection(min_cell=5))), "markdown"
    )
    assert "judged in significance mode" in plain


def _gate(same, bbq, *flags, out=None):
    path, a, b = same
    outputs = []
    if out is not None:
        for name in ("gate.json", "gate.md", "gate.xml"):
            outputs += ["--output", str(out / name)]
    return CliRunner().invoke(
        main,
        [
            "gate",
            a,
            b,
            "--store",
            str(path),
            "--bbq",
            str(bbq),
            "--min-cell",
            "5",
            *flags,
            *outputs,
        ],
    )


def test_cli_exit_4_when_inconclusive_and_0_in_significance_mode(same, bbq_lite, tmp_path):
    result = _gate(same, bbq_lite, "--gate-mode", "noninferiority", out=tmp_path)
    assert result.exit_code == 4, result.output
    assert "INCONCLUSIVE Age/ambig accuracy" in result.stderr
    assert "Traceback" not in result.output
    data = json.loads((tmp_path / "gate.json").read_text())
    assert data["gate"]["mode"] == "noninferiority"
    assert data["table"]["rows"][1]["cells"][0]["accuracy"]["bound"]["n_clusters"] > 0
    assert _gate(same, bbq_lite).exit_code == 0
    loose = _gate(
        same,
        bbq_lite,
        "--gate-mode",
        "noninferiority",
        "--margin-accuracy",
        "0.6",
        "--margin-bias",
        "1.5",
    )
    assert loose.exit_code == 0, loose.output


@pytest.mark.parametrize(
    "flags,says",
    [
        (["--margin-accuracy", "-0.1"], "margin_accuracy"),
        (["--margin-bias", "nan"], "margin_bias"),
        (["--margin-bias", "inf"], "margin_bias"),
        (["--accuracy-margin", "Physical_appearance"], "accuracy_margins"),
        (["--bias-margin", "Age=0.1", "--bias-margin", "Age=0.2"], "given twice"),
        (["--accuracy-margin", "Nowhere=0.1"], "unknown attribute"),
    ],
)
def test_bad_margins_are_one_line_exit_2(same, bbq_lite, flags, says):
    result = _gate(same, bbq_lite, "--gate-mode", "noninferiority", *flags)
    assert result.exit_code == 2, result.output
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output and result.stdout == ""


def test_a_bad_margin_in_a_profile_is_refused(same, bbq_lite, tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text('[gate]\nmode = "noninferiority"\naccuracy_margins = ["Age=-1"]\n')
    result = _gate(same, bbq_lite, "--profile", str(profile))
    assert result.exit_code == 2 and "accuracy_margins" in result.stderr


def test_exit_codes_are_in_the_help():
    text = CliRunner().invoke(main, ["gate", "--help"]).output
    assert "4 inconclusive" in text and "--gate-mode" in text and "--margin-accuracy" in text
    audit = CliRunner().invoke(main, ["audit", "--help"]).output
    assert "4 when a" in audit and "--bias-margin" in audit
