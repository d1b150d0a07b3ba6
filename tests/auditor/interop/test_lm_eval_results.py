"""lm-eval results files are checked against the samples they come with: another task's,
another model's or another run's results are refused; the matching task is taken."""

from __future__ import annotations

import copy
import json

import pytest

from auditor.bbq import load_bbq
from auditor.core.errors import DataError, InputError
from auditor.interop.lm_eval_import import import_lm_eval
from auditor.interop.lm_eval_results import task_hash
from auditor.interop.lm_eval_samples import read_samples
from auditor.store.db import Store


@pytest.fixture(scope="module")
def official(bbq_official):
    return load_bbq(bbq_official)


@pytest.fixture
def results(lm_eval_dir) -> dict:
    return json.loads((lm_eval_dir / "results_bbq.json").read_text())


def _write(path, data):
    path.write_text(json.dumps(data))
    return path


def _hellaswag(real: dict) -> dict:
    """A results file of another task: lm-eval's figures for hellaswag in place of BBQ's."""
    other = copy.deepcopy(real)
    config = {**real["configs"]["bbq_pub"], "task": "hellaswag", "doc_to_text": "{{query}}"}
    other["configs"] = {"hellaswag": config}
    other["results"] = {
        "hellaswag": {"alias": "hellaswag", "acc,none": 0.2897, "acc_norm,none": 0.3118}
    }
    other["n-samples"] = {"hellaswag": {"original": 10042, "effective": 10042}}
    other["task_hashes"] = {"hellaswag": "0" * 64}
    return other


def test_the_task_hash_of_the_samples_is_lm_evals_own(lm_eval_dir, results):
    samples = read_samples(lm_eval_dir / "samples_bbq.jsonl")
    assert task_hash(samples) == results["task_hashes"]["bbq_pub"]


def test_results_of_another_task_are_refused(tmp_path, lm_eval_dir, official, results):
    path = _write(tmp_path / "results_hellaswag.json", _hellaswag(results))
    store = Store(tmp_path / "runs.sqlite")
    with pytest.raises(
        DataError,
        match=r"results_hellaswag.json: field 'results.hellaswag': "
        r"not the results of these samples: task 'hellaswag': "
        r"its task hash differs",
    ):
        import_lm_eval(
            lm_eval_dir / "samples_bbq.jsonl", official.items, store=store, results_path=path
        )
    without_hashes = _hellaswag(results)
    del without_hashes["task_hashes"]
    with pytest.raises(DataError, match=r"it has 10042 samples, the samples file 72"):
        import_lm_eval(
            lm_eval_dir / "samples_bbq.jsonl",
            official.items,
            store=store,
            results_path=_write(tmp_path / "r2.json", without_hashes),
        )
    assert store.runs() == []


def test_results_of_another_model_are_refused(tmp_path, lm_eval_dir, official, results):
    other = copy.deepcopy(results)  # the same items and prompts, another model's answers
    other["results"]["bbq_pub"]["acc,none"] = 58 / 72
    other["model_name"] = other["config"]["model_args"]["pretrained"] = "Another-7B"
    store = Store(tmp_path / "runs.sqlite")
    with pytest.raises(DataError, match=r"its accuracy 0.8056 is not the samples' 0.4167"):
        import_lm_eval(
            lm_eval_dir / "samples_bbq.jsonl",
            official.items,
            store=store,
            results_path=_write(tmp_path / "other.json", other),
        )
    assert store.runs() == []


def test_the_task_that_matches_the_samples_is_taken(tmp_path, lm_eval_dir, official, results):
    both = _hellaswag(results)  # another task first, then this run's
    for part in ("configs", "results", "n-samples", "task_hashes"):
        both[part]["bbq_pub"] = results[part]["bbq_pub"]
    store = Store(tmp_path / "runs.sqlite")
    result = import_lm_eval(
        lm_eval_dir / "samples_bbq.jsonl",
        official.items,
        store=store,
        results_path=_write(tmp_path / "both.json", both),
    )
    run = store.run(result.run_id)
    assert run.settings["lm_eval"]["task"] == "bbq_pub"
    assert run.template == results["configs"]["bbq_pub"]["doc_to_text"]


def test_reimport_with_other_results_is_refused(tmp_path, lm_eval_dir, official, results):
    samples, real = lm_eval_dir / "samples_bbq.jsonl", lm_eval_dir / "results_bbq.json"
    renamed = copy.deepcopy(results)
    renamed["model_name"] = "renamed"  # figures unchanged: it passes the check on its own
    renamed = _write(tmp_path / "renamed.json", renamed)
    store = Store(tmp_path / "runs.sqlite")
    first = import_lm_eval(samples, official.items, store=store, results_path=real).run_id
    assert import_lm_eval(samples, official.items, store=store, results_path=real).run_id == first
    with pytest.raises(
        InputError,
        match=rf"renamed.json: these samples are stored already "
        rf"as run {first} with {real}; pass the same",
    ):
        import_lm_eval(samples, official.items, store=store, results_path=renamed)
    assert import_lm_eval(samples, official.items, store=store).run_id == first  # no claim
    assert [r.model for r in store.runs()] == ["SmolLM2-135M-Instruct"]
    alone = Store(tmp_path / "alone.sqlite")
    import_lm_eval(samples, official.items, store=alone)
    with pytest.raises(InputError, match=r"renamed.json: .* with no --results; pass"):
        import_lm_eval(samples, official.items, store=alone, results_path=renamed)


def test_a_skipped_sample_counts_with_lm_evals_own_verdict(tmp_path, lm_eval_dir, official):
    rows = [json.loads(x) for x in (lm_eval_dir / "samples_bbq.jsonl").read_text().splitlines()]
    rows[4]["doc"]["context"] += " Edited."  # skipped with --allow-mismatch
    path = tmp_path / "samples.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    store = Store(tmp_path / "runs.sqlite")
    result = import_lm_eval(
        path,
        official.items,
        store=store,
        allow_mismatch=True,
        results_path=lm_eval_dir / "results_bbq.json",
    )
    assert result.imported == 71
    del rows[4]["acc"]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(DataError, match=r"samples.jsonl:5: field 'acc': missing on a skipped"):
        import_lm_eval(
            path,
            official.items,
            store=Store(tmp_path / "other.sqlite"),
            allow_mismatch=True,
            results_path=lm_eval_dir / "results_bbq.json",
        )


def test_tasks_with_other_target_delimiters_are_refused(tmp_path, lm_eval_dir, official, results):
    both = _hellaswag(results)
    both["configs"]["hellaswag"]["target_delimiter"] = "\n"
    for part in ("configs", "results", "n-samples", "task_hashes"):
        both[part]["bbq_pub"] = results[part]["bbq_pub"]
    with pytest.raises(
        DataError,
        match=r"field 'configs': its tasks use different target "
        r"delimiters",
    ):
        import_lm_eval(
            lm_eval_dir / "samples_bbq.jsonl",
            official.items,
            store=Store(tmp_path / "runs.sqlite"),
            results_path=_write(tmp_path / "both.json", both),
        )
