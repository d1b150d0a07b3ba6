"""`spillover audit --trajectory`, `spillover plot --trajectory` and `spillover plan` with a
trajectory: the JSON, Markdown and terminal reports, the figure, the refusals."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from auditor.cli import main

from ..audit_fixtures import write_tiny_profile

STEPS = ("--set", "align.max_steps=3", "--set", "align.save_steps=1")


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def audited(tmp_path_factory, small_llama_dir, bbq_lite):
    """A tiny audit with a trajectory (checkpoints at steps 1 and 2; the final model at 3),
    its JSON on stdout and its Markdown beside it."""
    folder = tmp_path_factory.mktemp("cli-trajectory")
    profile = write_tiny_profile(folder, small_llama_dir, bbq_lite)
    store = folder / "runs.sqlite"
    md = folder / "report.md"
    result = cli("audit", "--profile", profile, "--store", store, "--trajectory", *STEPS,
                 "--format", "json", "--output", md)  # fmt: skip
    assert result.exit_code == 0, result.output
    return {"profile": profile, "store": store, "json": json.loads(result.stdout), "md": md}


def test_json_holds_the_trajectory(audited):
    traj = audited["json"]["trajectory"]
    assert traj["steps"] == [1, 2, 3] and traj["final_step"] == 3
    assert traj["mode"] == "significance"
    table = audited["json"]["table"]
    assert len(traj["cells"]) == len(table["attributes"]) * 5  # 2 contexts × 2 metrics + overall
    for cell in traj["cells"]:
        assert [p["step"] for p in cell["points"]] == [1, 2, 3]
        degraded = [p["step"] for p in cell["points"] if p["verdict"] == "degraded"]
        assert cell["first_degraded"] == (degraded[0] if degraded else None)
    final = {
        (c["attribute"], c["context"], c["metric"]): c["points"][-1]["delta"] for c in traj["cells"]
    }
    row = table["rows"][1]
    for cell in row["cells"]:  # the last point is the audit's own table
        assert final[(row["attribute"], cell["context"], "accuracy")] == cell["accuracy"]["delta"]


def test_markdown_and_terminal_show_the_steps(audited):
    md = audited["md"].read_text()
    assert "### Spillover over training" in md
    assert "| cell | step 1 | step 2 | step 3 (final) | first degraded |" in md
    again = cli("audit", "--profile", audited["profile"], "--store", audited["store"],
                "--trajectory", *STEPS, "--format", "table")  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "Spillover over training" in again.stdout and "first degraded" in again.stdout
    assert "step 3 (final)" in again.stdout
    assert "evaluating" not in again.stderr  # every checkpoint reused from the store


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_plot_writes_the_trajectory_figure(audited, tmp_path, suffix, magic):
    out = tmp_path / f"traj{suffix}"
    audit_id = audited["json"]["subject"]["audit"]
    result = cli("plot", audit_id, "--trajectory", "--store", audited["store"], "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(magic)
    if suffix == ".svg":
        assert "training step" in out.read_text()


def test_plot_refuses_an_audit_without_a_trajectory(audited, small_llama_dir, bbq_lite, tmp_path):
    store = audited["store"]
    plain = cli("audit", "--profile", audited["profile"], "--store", store, "--format", "json")
    assert plain.exit_code == 0, plain.output
    audit_id = json.loads(plain.stdout)["subject"]["audit"]
    out = tmp_path / "none.png"
    result = cli("plot", audit_id, "--trajectory", "--store", store, "-o", out)
    assert result.exit_code == 2 and not out.exists()
    assert "has no trajectory: run it with --trajectory" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("sets", "needle"),
    [
        (("--set", "align.max_steps=-1"), "needs align.max_steps > 0"),
        (("--set", "align.save_steps=5"), "no checkpoint is saved before the last step"),
        (("--seeds", "0,1"), "with seed replicates, audit each seed alone"),
    ],
)
def test_audit_refuses_what_it_cannot_run_before_any_work(
    tmp_path, small_llama_dir, bbq_lite, sets, needle
):
    profile = write_tiny_profile(tmp_path, small_llama_dir, bbq_lite)
    store = tmp_path / "runs.sqlite"
    result = cli("audit", "--profile", profile, "--store", store, "--trajectory", *sets)
    assert result.exit_code == 2, result.output
    assert needle in result.output and len(result.output.strip().splitlines()) == 1
    assert not store.exists()  # nothing written


def test_plan_lists_the_checkpoint_evaluations_and_their_cost(audited):
    result = cli("plan", "--profile", audited["profile"], "--set", "align.trajectory=true",
                 *STEPS, "--store", audited["store"])  # fmt: skip
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())  # rich wraps at the runner's width
    assert "evaluate checkpoint step 1: the adapter saved at step 1" in out
    assert "evaluate checkpoint step 2" in out and "checkpoint step 3" not in out
    assert "4 evaluation(s)" in out and "+ 2 trajectory checkpoint(s)" in out
    data = json.loads(
        cli(
            "plan",
            "--profile",
            audited["profile"],
            "--set",
            "align.trajectory=true",
            *STEPS,
            "--format",
            "json",
        ).stdout  # fmt: skip
    )
    assert data["grid"]["checkpoints"] == 2 and data["plan"][0]["checkpoints"] == [1, 2]


def test_a_noninferiority_gate_judges_every_step(audited):
    result = cli("audit", "--profile", audited["profile"], "--store", audited["store"],
                 "--trajectory", *STEPS, "--gate", "--gate-mode", "noninferiority",
                 "--format", "json")  # fmt: skip
    assert result.exit_code in (1, 4), result.output  # 72 items prove no 5 pp margin
    traj = json.loads(result.stdout)["trajectory"]
    assert traj["mode"] == "noninferiority"
    checked = [c for c in traj["cells"] if c["margin"] is not None]
    assert checked and all(not c["is_target"] for c in checked)  # untargeted cells only
    for cell in checked:
        judged = [p["judgement"] for p in cell["points"]]
        assert set(judged) <= {"non-inferior", "inconclusive"} and "" not in judged
        first = next((p["step"] for p in cell["points"] if p["judgement"] == "inconclusive"), None)
        assert cell["first_inconclusive"] == first
    final = {(j["attribute"], j["context"], j["metric"]): j["upper"]
             for j in json.loads(result.stdout)["gate"]["judgements"]}  # fmt: skip
    for cell in checked:  # the last point is judged as the gate judged the audit
        assert (
            cell["points"][-1]["upper"]
            == final[(cell["attribute"], cell["context"], cell["metric"])]
        )


def test_html_junit_and_csv_show_the_steps(audited, tmp_path):
    out = [f"--output={tmp_path}/report.{s}" for s in ("html", "xml", "csv")]
    again = cli("audit", "--profile", audited["profile"], "--store", audited["store"],
                "--trajectory", *STEPS, *out)  # fmt: skip
    assert again.exit_code == 0, again.output
    traj = audited["json"]["trajectory"]
    html = (tmp_path / "report.html").read_text()
    assert "<h2>Spillover over training</h2>" in html and "<th>step 3 (final)</th>" in html
    junit = (tmp_path / "report.xml").read_text()
    assert '<property name="trajectory.steps" value="1, 2, 3 (final)" />' in junit
    for cell in traj["cells"]:
        first = cell["first_degraded"]
        name = f"trajectory.{cell['attribute']}.{cell['context']}.{cell['metric']}.first_degraded"
        assert f'<property name="{name}" value="{first or "none"}" />' in junit
    rows = list(csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text())))
    steps = [r for r in rows if r["table"] == "trajectory" and r["metric"] in ("accuracy", "bias")]
    assert len(steps) == 3 * len(traj["cells"]) and {r["step"] for r in steps} == {"1", "2", "3"}
