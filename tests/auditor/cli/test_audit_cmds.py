"""CliRunner tests for audit, gate, compare, items and runs: arguments, exit codes, formats."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from auditor.bbq import load_bbq, sample
from auditor.cli import main
from auditor.store.db import Store

from ..audit_fixtures import synthetic_runs, write_tiny_profile


@pytest.fixture(scope="module")
def audited(tmp_path_factory, small_llama_dir, bbq_lite):
    """One tiny audit run through the CLI, with its JSON, Markdown and JUnit outputs."""
    folder = tmp_path_factory.mktemp("cli-audit")
    profile = write_tiny_profile(folder, small_llama_dir, bbq_lite)
    store = folder / "runs.sqlite"
    result = CliRunner().invoke(
        main,
        [
            "audit",
            "--profile",
            str(profile),
            "--store",
            str(store),
            "--gate",
            "--max-accuracy-drop",
            "1",
            "--max-bias-increase",
            "2",
            "--format",
            "json",
            "--output",
            str(folder / "report.md"),
            "--output",
            str(folder / "junit.xml"),
        ],
    )
    assert result.exit_code == 0, result.output
    return folder, store, json.loads(result.stdout)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, bbq_lite):
    items = sample(load_bbq(bbq_lite).items, per_cell=40, seed=0)
    path = tmp_path_factory.mktemp("cli-synth") / "runs.sqlite"
    with Store(path) as store:
        run_a, run_b = synthetic_runs(store, items)
    return path, run_a, run_b


def test_audit_writes_every_output(audited):
    folder, _, report = audited
    assert report["schema"] == "spillover.report/2"
    assert report["gate"]["passed"] is True
    assert report["subject"]["audit"].startswith("audit-")
    assert "Bias spillover" in (folder / "report.md").read_text()
    suite = ET.parse(folder / "junit.xml").getroot()
    assert suite.tag == "testsuite" and int(suite.get("tests")) == 27  # 9 × 3 contexts


def test_gate_on_stored_audit_and_runs(audited):
    _, store, report = audited
    runner = CliRunner()
    audit_id = report["subject"]["audit"]
    ok = runner.invoke(
        main,
        [
            "gate",
            audit_id,
            "--store",
            str(store),
            "--max-accuracy-drop",
            "1",
            "--max-bias-increase",
            "2",
        ],
    )
    assert ok.exit_code == 0, ok.output
    unknown = runner.invoke(main, ["gate", "audit-nope", "--store", str(store)])
    assert unknown.exit_code == 2 and "no audit matching" in unknown.output
    assert "Traceback" not in unknown.output


def test_gate_exit_1_names_failing_cells(synthetic, bbq_lite):
    path, run_a, run_b = synthetic
    result = CliRunner().invoke(
        main,
        ["gate", run_a, run_b, "--store", str(path), "--bbq", str(bbq_lite), "--format", "junit"],
    )
    assert result.exit_code == 1
    assert "FAIL Physical_appearance/ambig accuracy" in result.stderr
    suite = ET.fromstring(result.stdout)
    failed_cases = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    fail_lines = [line for line in result.stderr.splitlines() if line.startswith("FAIL ")]
    assert int(suite.get("failures")) == len(failed_cases) >= 1
    reasons = sum(len(c.find("failure").text.splitlines()) for c in failed_cases)
    assert len(fail_lines) == reasons  # one line per failing cell and metric


def test_gate_usage_errors_exit_2(synthetic, bbq_lite):
    path, run_a, run_b = synthetic
    runner = CliRunner()
    assert runner.invoke(main, ["gate", "--store", str(path)]).exit_code == 2
    bad = runner.invoke(main, ["gate", run_a, run_b, "--store", str(path), "--cells", "some"])
    assert bad.exit_code == 2


def test_compare_formats(synthetic, bbq_lite, tmp_path):
    path, run_a, run_b = synthetic
    runner = CliRunner()
    base = [
        "compare",
        run_a[:12],
        run_b[:12],
        "--store",
        str(path),
        "--bbq",
        str(bbq_lite),
        "--n-boot",
        "200",
    ]
    as_json = runner.invoke(main, [*base, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    table = json.loads(as_json.stdout)["table"]
    assert table["pairing"]["n_paired"] > 0
    csv_out = runner.invoke(main, [*base, "--format", "csv", "--output", str(tmp_path / "t.csv")])
    assert csv_out.stdout.startswith("attribute,is_target,context,metric")
    assert (tmp_path / "t.csv").read_text() == csv_out.stdout
    markdown = runner.invoke(main, [*base, "--format", "markdown"])
    assert "| attribute |" in markdown.stdout and "▼" in markdown.stdout


def test_items_failing_and_flipped(synthetic, bbq_lite):
    path, run_a, run_b = synthetic
    runner = CliRunner()
    flipped = runner.invoke(
        main,
        [
            "items",
            run_a,
            "--flipped",
            "--against",
            run_b,
            "--store",
            str(path),
            "--bbq",
            str(bbq_lite),
            "--format",
            "json",
        ],
    )
    assert flipped.exit_code == 0, flipped.output
    rows = json.loads(flipped.stdout)
    assert rows and {r["attribute"] for r in rows} == {"Physical_appearance"}
    assert all(r["after"]["role"] == "biased" for r in rows)  # B answers the biased option
    assert {r["status"] for r in rows} <= {"flipped_to_wrong", "flipped_to_right"}
    broke = [r for r in rows if r["status"] == "flipped_to_wrong"]
    assert broke and all(r["before"]["correct"] and not r["after"]["correct"] for r in broke)
    failing = runner.invoke(
        main,
        [
            "items",
            run_a,
            "--failing",
            "--attribute",
            "Age",
            "--context",
            "ambig",
            "--store",
            str(path),
            "--bbq",
            str(bbq_lite),
        ],
    )
    assert failing.exit_code == 0
    assert "Age:" in failing.stdout and "(unknown)" in failing.stdout
    needs_b = runner.invoke(
        main, ["items", run_a, "--flipped", "--store", str(path), "--bbq", str(bbq_lite)]
    )
    assert needs_b.exit_code == 2 and "--against" in needs_b.output


def test_runs_lists_audits_and_runs(audited):
    _, store, report = audited
    result = CliRunner().invoke(main, ["runs", "--store", str(store), "--format", "json"])
    data = json.loads(result.stdout)
    assert data["audits"][0]["id"] == report["subject"]["audit"]
    assert {r["kind"] for r in data["runs"]} == {"eval", "train"}


def test_compare_with_train_run_keeps_the_target_on_heldout_items(audited, bbq_lite):
    _, store, report = audited
    subject = report["subject"]
    result = CliRunner().invoke(
        main,
        [
            "compare",
            subject["baseline_run"],
            subject["aligned_run"],
            "--train-run",
            subject["train_run"],
            "--store",
            str(store),
            "--bbq",
            str(bbq_lite),
            "--n-boot",
            "200",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # what the audit reported; its gated report re-corrects over the gate's family only
    assert _uncorrected(data["table"]["rows"]) == _uncorrected(report["table"]["rows"])
    from auditor.audit.gate import regate
    from auditor.audit.profiles import GateSection
    from auditor.stats.table import SpilloverTable

    judged = regate(SpilloverTable.from_dict(data["table"]), GateSection())
    assert json.loads(json.dumps(judged.to_dict()["rows"])) == report["table"]["rows"]
    assert data["target_all_items"] == report["target_all_items"]  # (None: all held out)


def test_gate_with_bh_shows_the_table_it_judged(synthetic, bbq_lite):
    path, run_a, run_b = synthetic
    result = CliRunner().invoke(
        main,
        [
            "gate",
            run_a,
            run_b,
            "--store",
            str(path),
            "--bbq",
            str(bbq_lite),
            "--correction",
            "bh",
            "--alpha",
            "0.1",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["table"]["correction"] == "bh" and data["table"]["alpha"] == 0.1
    rows = {r["attribute"]: {c["context"]: c for c in r["cells"]} for r in data["table"]["rows"]}
    for failure in data["gate"]["failures"]:
        cell = rows[failure["attribute"]][failure["context"]][failure["metric"]]
        assert cell["verdict"] == "degraded"


def test_audit_gate_exit_1_and_fail_lines(monkeypatch, tmp_path, synthetic, bbq_lite):
    """Plumbing: `audit --gate` on a result with spillover exits 1 and names the cells."""
    import auditor.audit.pipeline
    from auditor.audit.comparison import compare_stored
    from auditor.audit.pipeline import AuditResult

    path, run_a, run_b = synthetic
    with Store(path) as store:
        table = compare_stored(store, run_a, run_b, bbq=str(bbq_lite), n_boot=200).table

    def fake_run_audit(profile, **kwargs):
        return AuditResult("audit-x", profile.to_dict(), run_a, None, run_b, table, "")

    monkeypatch.setattr(auditor.audit.pipeline, "run_audit", fake_run_audit)
    result = CliRunner().invoke(
        main,
        [
            "audit",
            "--profile",
            "ci",
            "--store",
            str(path),
            "--max-accuracy-drop",
            "0",
            "--format",
            "markdown",
            "--bbq",
            str(bbq_lite),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.stdout and "FAIL Physical_appearance/" in result.stderr


def test_runtime_failure_is_one_line_exit_3(monkeypatch, synthetic):
    import auditor.audit.history

    def broken(store):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(auditor.audit.history, "list_audits", broken)
    path, _, _ = synthetic
    result = CliRunner().invoke(main, ["runs", "--store", str(path)])
    assert result.exit_code == 3
    assert result.output.strip() == (
        "error: RuntimeError: disk on fire (set SPILLOVER_DEBUG=1 for the traceback)"
    )


def _uncorrected(rows):
    """The rows without what a correction family sets (corrected p, marker, verdict, MDE)."""
    drop = {"p_corrected", "marker", "verdict", "mde", "agreement"}
    return [
        [
            {m: {k: v for k, v in c[m].items() if k not in drop} for m in ("accuracy", "bias")}
            for c in r["cells"]
        ]
        for r in rows
    ]
