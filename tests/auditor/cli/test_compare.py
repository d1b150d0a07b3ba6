"""`spillover compare`: the accuracy test chosen, the alternatives in every format, and each
run id prefix resolved once (also by `gate RUN_A RUN_B`)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.store.db import Store

from ..audit_fixtures import synthetic_runs
from .test_import import _shuffled_lls, cli, import_run


def test_compare_reports_both_tests_and_the_conventions(tmp_path, lm_eval_dir, bbq_official):
    store = tmp_path / "runs.sqlite"
    before = import_run(lm_eval_dir / "samples_bbq.jsonl", store, bbq_official)
    after = import_run(
        _shuffled_lls(lm_eval_dir / "samples_bbq.jsonl", tmp_path / "b.jsonl", 1),
        store,
        bbq_official,
    )
    base = (
        "compare",
        before,
        after,
        "--bbq",
        bbq_official,
        "--store",
        store,
        "--target",
        "Age",
        "--n-boot",
        200,
    )
    mc = json.loads(cli(*base, "--format", "json").stdout)["table"]
    cl = json.loads(cli(*base, "--format", "json", "--accuracy-test", "cluster").stdout)["table"]
    assert (mc["accuracy_test"], cl["accuracy_test"]) == ("exact", "cluster")
    assert len(mc["clustering"]) == 18 and len(mc["conventions"]) == 12  # 6 attributes
    assert [t["p_cluster"] for t in mc["clustering"]] == [
        c["accuracy"]["p"] for r in cl["rows"] for c in r["cells"]
    ]
    lm_eval_age = next(
        c for c in mc["conventions"] if (c["attribute"], c["context"]) == ("Age", "disambig")
    )
    assert [c["convention"] for c in lm_eval_age["changes"]] == ["bbq", "lm-eval", "helm"]
    assert lm_eval_age["changes"][1]["before"] == 0.0  # lm-eval's own Age figure
    text = cli(*base).stdout
    assert "Accuracy verdicts differ between McNemar and the cluster test in" in text
    assert "bias verdicts change with the convention (lm-eval, HELM) in" in text
    markdown = cli(*base, "--format", "markdown").stdout
    assert "### Bias score under other tools' conventions" in markdown
    assert "### Accuracy: McNemar or the cluster test" in markdown
    rows = list(csv.DictReader(io.StringIO(cli(*base, "--format", "csv").stdout)))
    conv = [r for r in rows if r["table"] == "spillover:conventions"]
    assert {r["metric"] for r in conv} == {"bias:lm-eval", "bias:helm"} and len(conv) == 24
    wrong = cli(*base, "--accuracy-test", "gee")
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output


def test_gate_of_two_runs_takes_the_accuracy_test_from_the_profile(
    tmp_path, lm_eval_dir, bbq_official
):
    store = tmp_path / "runs.sqlite"
    before = import_run(lm_eval_dir / "samples_bbq.jsonl", store, bbq_official)
    after = import_run(
        _shuffled_lls(lm_eval_dir / "samples_bbq.jsonl", tmp_path / "b.jsonl", 2),
        store,
        bbq_official,
    )
    profile = tmp_path / "p.toml"
    profile.write_text(
        '[stats]\naccuracy_test = "cluster"\n[gate]\nmin_paired = 72\nmin_cell = 6\n'
    )
    base = (
        "gate",
        before,
        after,
        "--bbq",
        bbq_official,
        "--store",
        store,
        "--target",
        "Age",
        "--format",
        "json",
    )
    plain = cli(*base)
    chosen = cli(*base, "--profile", profile)
    assert "Traceback" not in plain.output + chosen.output
    assert json.loads(plain.stdout)["table"]["accuracy_test"] == "exact"
    assert json.loads(chosen.stdout)["table"]["accuracy_test"] == "cluster"


@pytest.mark.parametrize("command", ["compare", "gate"])
def test_each_prefix_is_resolved_once(command, tmp_path, lite_items, bbq_lite, monkeypatch):
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        run_a, run_b = synthetic_runs(store, list(lite_items)[:150])
    listed = []
    original = Store.runs

    def counted(self, kind=None):
        listed.append(kind)
        return original(self, kind)

    monkeypatch.setattr(Store, "runs", counted)
    out = CliRunner().invoke(
        main,
        [
            command,
            run_a[:9],
            run_b[:9],
            "--store",
            str(path),
            "--bbq",
            str(bbq_lite),
            "--format",
            "json",
        ],
    )
    assert out.exit_code in (0, 1), out.output
    report = json.loads(out.stdout)
    assert report["subject"]["before"] == run_a[:9]  # the subject names them as typed
    assert len(listed) == 2  # one listing of the runs per prefix, none after
