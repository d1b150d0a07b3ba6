"""`spillover audit --candidate/--candidate-adapter/--target` through the CLI: a real model
and a real peft adapter audited against a tiny base on BBQ-lite rows, every output
format, the worst exit code over candidates, and bad input refused before any work."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from auditor.audit.candidate_report import WORST_FIRST
from auditor.audit.candidates import CAVEAT
from auditor.cli import main
from auditor.store.db import Store

from ..audit.test_candidates import save_adapter
from ..audit_fixtures import write_tiny_profile
from ..helpers import make_tiny_llama

CODES = {"passed": 0, "degraded": 1, "cannot judge": 2, "inconclusive": 4}


@pytest.fixture(scope="module")
def setup(tmp_path_factory, small_llama_dir, bbq_lite):
    folder = tmp_path_factory.mktemp("cli-candidates")
    other = make_tiny_llama(folder / "other", small_llama_dir, seed=1)  # its 512-token BPE
    adapter = save_adapter(small_llama_dir, folder / "adapter")
    profile = write_tiny_profile(folder, small_llama_dir, bbq_lite)
    return folder, profile, other, adapter


def flags(setup, *more):
    folder, profile, other, adapter = setup
    return [
        "audit",
        "--profile",
        str(profile),
        "--store",
        str(folder / "runs.sqlite"),
        "--candidate",
        str(other),
        "--candidate-adapter",
        str(adapter),
        "--target",
        "Age",
        *more,
    ]


@pytest.fixture(scope="module")
def audited(setup):
    folder = setup[0]
    outputs = ["report.md", "junit.xml", "report.html", "all.json"]
    more = ["--gate", "--format", "json"]
    for name in outputs:
        more += ["--output", str(folder / name)]
    result = CliRunner().invoke(main, flags(setup, *more))
    return result, json.loads(result.stdout)


def test_json_has_one_entry_per_candidate_with_its_model_spec(audited, setup):
    _, _, other, adapter = setup
    result, doc = audited
    assert doc["schema"] == "spillover.candidates/1" and doc["caveat"] == CAVEAT
    assert doc["training_data_known"] is False and doc["target"] == ["Age"]
    one, two = doc["candidates"]
    assert (one["candidate"]["model"], one["candidate"]["adapter"]) == (str(other), "")
    assert two["candidate"]["adapter"] == str(adapter)
    for entry in doc["candidates"]:
        report = entry["report"]
        assert report["subject"]["notes"] == [CAVEAT]
        assert report["gate"]["mode"] == "noninferiority"  # a candidate audit's default
        assert report["table"]["target"] == ["Age"]
        checked = {c[0] for c in report["gate"]["checked"]}
        assert checked and "Age" not in checked  # the target is left out of the gated cells
        assert entry["exit_code"] == CODES[entry["outcome"]]


def test_the_exit_code_is_the_worst_candidates(audited):
    result, doc = audited
    codes = {e["exit_code"] for e in doc["candidates"]}
    worst = next(c for c in WORST_FIRST if c in codes)
    assert result.exit_code == doc["exit_code"] == worst
    assert WORST_FIRST == (2, 1, 4, 0)
    for entry in doc["candidates"]:
        assert f"candidate {entry['candidate']['label']}: {entry['outcome']}" in result.stderr


def test_every_format_says_the_training_data_is_unknown(audited, setup):
    folder = setup[0]
    for label in ("1", "2"):
        md = (folder / f"report.candidate-{label}.md").read_text()
        html = (folder / f"report.candidate-{label}.html").read_text()
        assert "cannot know what data trained" in md and "cannot know what data trained" in html
        assert (folder / f"junit.candidate-{label}.xml").is_file()
        junit = (folder / f"junit.candidate-{label}.xml").read_text()
        assert '<property name="training_data_known" value="false" />' in junit
        assert "note: spillover cannot know what data trained" in junit  # the suite's system-out
    whole = json.loads((folder / "all.json").read_text())
    assert [e["candidate"]["label"] for e in whole["candidates"]] == ["1", "2"]


def test_a_rerun_evaluates_nothing_and_the_terminal_names_the_candidate(audited, setup):
    folder = setup[0]
    with Store(folder / "runs.sqlite") as store:
        before = {r.id for r in store.runs("eval")}
    result = CliRunner().invoke(main, flags(setup))
    assert result.exit_code == 0, result.output  # not gated
    assert "note: spillover cannot know what data trained" in result.stdout
    assert "candidate 1 (" in result.stdout and "candidate 2 (" in result.stdout
    with Store(folder / "runs.sqlite") as store:
        assert {r.id for r in store.runs("eval")} == before


def test_gate_mode_named_by_a_flag_wins(audited, setup):
    result = CliRunner().invoke(
        main, flags(setup, "--gate", "--gate-mode", "significance", "--format", "json")
    )
    doc = json.loads(result.stdout)
    assert {e["report"]["gate"]["mode"] for e in doc["candidates"]} == {"significance"}
    assert doc["gate_mode"] == "significance"


@pytest.mark.parametrize(
    "args, says",
    [
        (["--candidate", "{folder}/nowhere"], "nowhere"),
        (["--candidate", "{other}", "--candidate", "{other}"], "given twice"),
        (["--candidate", "{base}"], "is the base model itself"),
        (["--candidate-adapter", "{folder}"], "adapter_config.json"),
        (["--candidate", "{other}", "--target", "Gender"], "not a BBQ attribute"),
        (["--candidate", "{other}", "--seeds", "0,1"], "align.seeds"),
        (["--candidate", "{other}", "--matrix"], "--matrix"),
        (["--target", "Age"], "pass --candidate"),
        (["--candidate", "{other}", "--retrain-missing"], "training audits"),
        (
            ["--candidate", "{other}", "--candidate-adapter", "{adapter}", "--format", "junit"],
            "--output FILE",
        ),
    ],
)
def test_bad_candidates_are_refused_in_one_line_before_any_work(setup, tmp_path, args, says):
    folder, profile, other, adapter = setup
    from auditor.audit.profiles import load_profile

    base = load_profile(str(profile)).model.source
    store = tmp_path / "runs.sqlite"
    filled = [a.format(folder=folder, other=other, base=base, adapter=adapter) for a in args]
    result = CliRunner().invoke(
        main, ["audit", "--profile", str(profile), "--store", str(store), *filled]
    )
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert not store.exists()  # nothing evaluated, nothing stored


def test_plan_prints_a_candidate_audit_without_training(setup):
    _, profile, other, adapter = setup
    result = CliRunner().invoke(
        main,
        [
            "plan",
            "--profile",
            str(profile),
            "--candidate",
            str(other),
            "--candidate-adapter",
            str(adapter),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    (plan,) = doc["plan"]
    assert plan["trainings"] == [] and len(plan["candidates"]) == 2
    assert doc["grid"]["trainings"] == 0 and doc["grid"]["evaluations"] == 3
    assert doc["mode"] == "noninferiority"  # sized for the gate that judges it
    assert all(c["ni_power"] is not None for c in doc["cells"] if c["checked"])


def test_without_a_target_every_attribute_is_untargeted_in_every_format(audited, setup):
    folder, profile, other, _ = setup
    out = folder / "untargeted"
    result = CliRunner().invoke(
        main,
        [
            "audit",
            "--profile",
            str(profile),
            "--store",
            str(folder / "runs.sqlite"),
            "--candidate",
            str(other),
            "--gate",
            "--format",
            "json",
            *[f"--output={out}.{s}" for s in ("md", "html", "xml", "csv", "txt")],
        ],
    )
    doc = json.loads(result.stdout)
    (entry,) = doc["candidates"]
    report = entry["report"]
    assert report["table"]["target"] == [] and doc["target"] == []
    assert report["subject"]["target"] == "none named: every attribute is untargeted"
    checked = {c[0] for c in report["gate"]["checked"]}
    assert checked == set(report["table"]["attributes"])  # every attribute is gated
    assert result.exit_code == entry["exit_code"]
    for suffix in ("md", "html", "xml", "csv", "txt"):
        assert (folder / f"untargeted.{suffix}").stat().st_size > 0  # one candidate: as named
    assert "cannot know what data trained" in (folder / "untargeted.txt").read_text()
