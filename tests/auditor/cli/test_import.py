"""`spillover import lm-eval`: output, bad input, and imported runs in compare/gate/items."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def import_run(samples, store, bbq, *extra):
    result = cli("import", "lm-eval", samples, "--bbq", bbq, "--store", store,
                 "--format", "json", *extra)  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["run_id"]


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def write(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def stored_runs(store: Path) -> int:
    if not store.exists():
        return 0
    with sqlite3.connect(store) as db:
        return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]


def test_json_prints_the_run_id_and_runs_lists_it(tmp_path, lm_eval_dir, bbq_official):
    store = tmp_path / "runs.sqlite"
    run_id = import_run(
        lm_eval_dir / "samples_bbq.jsonl",
        store,
        bbq_official,
        "--results",
        lm_eval_dir / "results_bbq.json",
    )
    listed = json.loads(cli("runs", "--store", store, "--format", "json").stdout)["runs"]
    assert [(r["id"], r["mode"], r["done"], r["model"]) for r in listed] == [
        (run_id, "lm-eval", 72, "SmolLM2-135M-Instruct")
    ]
    table = cli(
        "import",
        "lm-eval",
        lm_eval_dir / "samples_bbq.jsonl",
        "--bbq",
        bbq_official,
        "--store",
        store,
        "--name",
        "ignored-on-reimport",
    )
    assert table.exit_code == 0 and f"imported 72 samples as run {run_id}" in table.output


def _bad_inputs(lm_eval_dir: Path, tmp_path: Path):
    samples = lines(lm_eval_dir / "samples_bbq.jsonl")
    other = dict(samples[0], doc={"question": "2+2?", "choices": ["3", "4"]})
    no_doc = {k: v for k, v in samples[1].items() if k != "doc"}
    text = (lm_eval_dir / "samples_bbq.jsonl").read_text()
    return {
        "not_samples": (lm_eval_dir / "docs.jsonl", ":1: not an lm-eval samples line"),
        "other_task": (
            write(tmp_path / "o.jsonl", [other]),
            ":1: field 'doc.example_id': missing: not a BBQ sample",
        ),
        "no_doc": (write(tmp_path / "n.jsonl", [samples[0], no_doc]), ":2: field 'doc': missing"),
        "truncated": (_text(tmp_path / "t.jsonl", text[: len(text) // 2]), ":36: invalid JSON"),
    }


def _text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", ["not_samples", "other_task", "no_doc", "truncated"])
def test_bad_input_is_one_line_exit_2_nothing_stored(tmp_path, lm_eval_dir, bbq_official, case):
    path, expected = _bad_inputs(lm_eval_dir, tmp_path)[case]
    store = tmp_path / "runs.sqlite"
    result = cli("import", "lm-eval", path, "--bbq", bbq_official, "--store", store)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"error: {path}{expected}"), result.stderr
    assert stored_runs(store) == 0


def test_mismatch_refused_unless_allowed(tmp_path, lm_eval_dir, bbq_official):
    rows = lines(lm_eval_dir / "samples_bbq.jsonl")
    rows[3]["doc"]["ans1"] = "Someone else"
    path, store = write(tmp_path / "m.jsonl", rows), tmp_path / "runs.sqlite"
    refused = cli("import", "lm-eval", path, "--bbq", bbq_official, "--store", store)
    assert refused.exit_code == 2 and "ans1 differs" in refused.stderr
    assert stored_runs(store) == 0
    import_run(path, store, bbq_official, "--allow-mismatch")
    assert stored_runs(store) == 1


def _shuffled_lls(src: Path, dst: Path, seed: int) -> Path:
    """The same samples with other log-likelihoods: a second lm-eval run of the items."""
    rng = random.Random(seed)
    rows = lines(src)
    for row in rows:
        row["filtered_resps"] = [
            [str(rng.uniform(-20, -1)), "False"] for _ in row["filtered_resps"]
        ]
    return write(dst, rows)


def test_two_imported_runs_compare_gate_and_items(tmp_path, lm_eval_dir, bbq_official):
    store = tmp_path / "runs.sqlite"
    before = import_run(lm_eval_dir / "samples_bbq.jsonl", store, bbq_official)
    after = import_run(
        _shuffled_lls(lm_eval_dir / "samples_bbq.jsonl", tmp_path / "b.jsonl", 1),
        store,
        bbq_official,
    )
    assert before != after
    report = cli(
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
        "--format",
        "json",
    )
    assert report.exit_code == 0, report.output
    data = json.loads(report.stdout)
    assert data["table"]["pairing"]["n_paired"] == 72
    assert "notes" not in data["subject"]  # same format on both sides: no warning
    gate = cli("gate", before, after, "--bbq", bbq_official, "--store", store, "--target", "Age")
    assert gate.exit_code == 2 and "pair 72 items, fewer than the minimum 100" in gate.stderr
    small = cli(
        "gate",
        before,
        after,
        "--bbq",
        bbq_official,
        "--store",
        store,
        "--target",
        "Age",
        "--min-paired",
        72,
        "--min-cell",
        6,
        "--format",
        "json",
    )
    assert small.exit_code in (0, 1, 2) and "Traceback" not in small.output
    refusals = json.loads(small.stdout)["gate"]["refusals"]
    assert not any("paired items" in r or "pair 72" in r for r in refusals)
    flipped = cli(
        "items",
        before,
        "--against",
        after,
        "--flipped",
        "--bbq",
        bbq_official,
        "--store",
        store,
        "--format",
        "json",
    )
    assert flipped.exit_code == 0, flipped.output
    assert json.loads(flipped.stdout)


def test_imported_against_spillover_run_flags_prompt_formats(tmp_path, lm_eval_dir, bbq_official,
                                                             tiny_llama_dir):  # fmt: skip
    from auditor.bbq import load_bbq
    from auditor.evaluation.evaluate import evaluate
    from auditor.models.loading import ModelSpec
    from auditor.store.db import Store

    store = tmp_path / "runs.sqlite"
    imported = import_run(
        lm_eval_dir / "samples_bbq.jsonl",
        store,
        bbq_official,
        "--results",
        lm_eval_dir / "results_bbq.json",
    )
    ids = {
        f"{r['doc']['category']}:{r['doc']['example_id']}"
        for r in lines(lm_eval_dir / "samples_bbq.jsonl")
    }
    items = [i for i in load_bbq(bbq_official).items if i.id in ids]
    with Store(store) as s:
        ours = evaluate(ModelSpec(str(tiny_llama_dir), device="cpu"), items, store=s)
    md = tmp_path / "r.md"
    report = cli(
        "compare",
        imported,
        ours,
        "--bbq",
        bbq_official,
        "--store",
        store,
        "--target",
        "Age",
        "--n-boot",
        200,
        "--format",
        "json",
        "--output",
        md,
    )
    assert report.exit_code == 0, report.output
    notes = json.loads(report.stdout)["subject"]["notes"]
    assert len(notes) == 1 and notes[0].startswith("different prompt formats:")
    assert "lm-eval multiple-choice" in notes[0] and "spillover letter mode" in notes[0]
    assert "note: different prompt formats" in report.stderr
    assert "**Note:** different prompt formats" in md.read_text()
    subject = json.loads(report.stdout)["subject"]
    assert subject["before run"] == f"{imported}: SmolLM2-135M-Instruct (lm-eval, lm-eval 0.4.13)"
    assert subject["after run"].startswith(f"{ours}: ") and subject["after run"].endswith(
        "(letter)"
    )


def test_results_not_of_these_samples_are_one_line_exit_2(tmp_path, lm_eval_dir, bbq_official):
    samples, real = lm_eval_dir / "samples_bbq.jsonl", lm_eval_dir / "results_bbq.json"
    other = json.loads(real.read_text())
    other["results"]["bbq_pub"]["acc,none"] = 0.81  # another model's run of the same items
    other_path = tmp_path / "results_other.json"
    other_path.write_text(json.dumps(other))
    store = tmp_path / "runs.sqlite"
    refused = cli(
        "import",
        "lm-eval",
        samples,
        "--results",
        other_path,
        "--bbq",
        bbq_official,
        "--store",
        store,
    )
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith(
        f"error: {other_path}: field 'results.bbq_pub': not the results of these samples"
    )
    assert stored_runs(store) == 0
    import_run(samples, store, bbq_official, "--results", real)
    renamed = dict(json.loads(real.read_text()), model_name="renamed")
    (tmp_path / "renamed.json").write_text(json.dumps(renamed))
    again = cli(
        "import",
        "lm-eval",
        samples,
        "--results",
        tmp_path / "renamed.json",
        "--bbq",
        bbq_official,
        "--store",
        store,
    )
    assert again.exit_code == 2 and again.stderr.count("\n") == 1
    assert "stored already as run" in again.stderr and "Traceback" not in again.output
    assert stored_runs(store) == 1
