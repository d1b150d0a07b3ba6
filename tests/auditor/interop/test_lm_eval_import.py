"""Importing lm-eval's BBQ samples: matching, answer mapping, lm-eval's own numbers."""

from __future__ import annotations

import json

import pytest

from auditor.bbq import load_bbq
from auditor.core.errors import DataError
from auditor.interop.lm_eval_import import bias_score_notes, import_lm_eval
from auditor.stats.summary import summarize_run
from auditor.store.db import Store

from .conftest import read_lines, write_lines


@pytest.fixture(scope="module")
def official(bbq_official):
    return load_bbq(bbq_official)


def _import(tmp_path, samples, items, **kw):
    store = Store(tmp_path / "runs.sqlite")
    return store, import_lm_eval(samples, items, store=store, **kw)


def test_accuracy_per_context_equals_lm_evals_own(tmp_path, lm_eval_dir, official):
    results = lm_eval_dir / "results_bbq.json"
    store, result = _import(
        tmp_path, lm_eval_dir / "samples_bbq.jsonl", official.items, results_path=results
    )
    assert result.imported == 72 and not result.mismatches
    summary = summarize_run(official.by_id(), store.answers(result.run_id), n_boot=0)
    theirs = json.loads(results.read_text())["results"]["bbq_pub"]
    assert summary.get("all", "ambig").accuracy == theirs["accuracy_amb,none"]
    assert summary.get("all", "disambig").accuracy == theirs["accuracy_disamb,none"]
    assert summary.get().accuracy == theirs["acc,none"]
    run = store.run(result.run_id)
    assert run.status == "done" and run.mode == "lm-eval" and run.done == 72
    lm_eval = run.settings["lm_eval"]
    assert lm_eval["lm_eval_version"] == "0.4.13" and lm_eval["task"] == "bbq_pub"
    assert lm_eval["model_args"]["pretrained"] == "SmolLM2-135M-Instruct"
    assert run.template == "{{context}}\n\nQ: {{question}}\nA:"


def test_each_answer_is_lm_evals_choice_mapped_to_the_items_option(tmp_path, lm_eval_dir,
                                                                    official):  # fmt: skip
    samples = read_lines(lm_eval_dir / "samples_bbq.jsonl")
    store, result = _import(tmp_path, lm_eval_dir / "samples_bbq.jsonl", official.items)
    rows = {r["item_id"]: r for r in store.answer_rows(result.run_id)}
    items = official.by_id()
    unknown_paraphrases = 0
    for s in samples:
        item_id = f"{s['doc']['category']}:{s['doc']['example_id']}"
        row, item = rows[item_id], items[item_id]
        assert row["correct"] == int(s["acc"]), item_id  # lm-eval's own per-sample verdict
        lls = [float(r[0]) for r in s["filtered_resps"]]
        best = max(lls)
        assert max(row["scores"]) == best and row["scores"][row["predicted"]] == best
        chosen = s["arguments"][f"gen_args_{lls.index(best)}"]["arg_1"].strip()
        assert row["text"] == chosen
        if chosen not in [o.text for o in item.options]:
            unknown_paraphrases += 1
            assert row["predicted"] == item.unknown_index
    assert unknown_paraphrases > 0  # the file exercises the paraphrase mapping


def test_reimport_is_the_same_run(tmp_path, lm_eval_dir, official):
    store, first = _import(tmp_path, lm_eval_dir / "samples_bbq.jsonl", official.items)
    second = import_lm_eval(lm_eval_dir / "samples_bbq.jsonl", official.items, store=store)
    assert first.run_id == second.run_id and len(store.runs()) == 1


def test_a_mismatched_text_is_refused_and_nothing_is_stored(tmp_path, lm_eval_dir, official):
    rows = read_lines(lm_eval_dir / "samples_bbq.jsonl")
    rows[5]["doc"]["context"] += " Edited."
    path = write_lines(tmp_path / "samples.jsonl", rows)
    store = Store(tmp_path / "runs.sqlite")
    with pytest.raises(
        DataError,
        match=r"samples.jsonl:6: 1 of 72 samples do not match.*"
        r"context differs",
    ):
        import_lm_eval(path, official.items, store=store)
    assert store.runs() == []
    result = import_lm_eval(path, official.items, store=store, allow_mismatch=True)
    assert result.imported == 71 and [m.line for m in result.mismatches] == [6]
    assert store.run(result.run_id).done == 71


def test_bias_notes_say_why_lm_eval_differs(tmp_path, lm_eval_dir, official):
    items = official.by_id()
    rows = read_lines(lm_eval_dir / "samples_bbq.jsonl")
    for row in rows:  # every Age/disambig answer: the anti-biased option
        item = items[f"{row['doc']['category']}:{row['doc']['example_id']}"]
        if item.attribute != "Age" or item.context_condition != "disambig":
            continue
        anti = item.options[item.roles.anti_biased].text
        for key, request in row["arguments"].items():
            ll = "0.0" if request["arg_1"].strip() == anti else "-50.0"
            row["filtered_resps"][int(key.rsplit("_", 1)[1])] = [ll, "False"]
    store, result = _import(tmp_path, write_lines(tmp_path / "s.jsonl", rows), official.items)
    notes = bias_score_notes(
        store,
        result.run_id,
        {
            "disamb_bias_score_Age,none": 0.0,  # what lm-eval reports with no biased answer
            "amb_bias_score_Age,none": 0.0,  # equal to spillover's: no note
            "disamb_bias_score_Religion,none": 0.5,
        },
    )
    assert notes == [
        "bias Age disambig: lm-eval +0.000, spillover -1.000: no answer is biased: "
        "lm-eval returns 0.0, BBQ's formula gives -1",
        "bias Religion disambig: lm-eval +0.500, spillover +0.000: lm-eval derives the "
        "biased answers from its own group matching",
    ]


def test_choices_missing_an_option_are_refused(tmp_path, lm_eval_dir, official):
    rows = read_lines(lm_eval_dir / "samples_bbq.jsonl")
    named = rows[2]["doc"]["ans0"] if rows[2]["doc"]["label"] != 0 else rows[2]["doc"]["ans1"]
    keep = {k: v for k, v in rows[2]["arguments"].items() if v["arg_1"].strip() != named}
    dropped = [int(k.rsplit("_", 1)[1]) for k in rows[2]["arguments"] if k not in keep]
    rows[2]["arguments"] = keep
    rows[2]["filtered_resps"] = [r for i, r in enumerate(rows[2]["filtered_resps"])
                                 if i not in dropped]  # fmt: skip
    store = Store(tmp_path / "runs.sqlite")
    with pytest.raises(DataError, match=r"s.jsonl:3: field 'arguments':.*not among lm-eval's"):
        import_lm_eval(write_lines(tmp_path / "s.jsonl", rows), official.items, store=store)
    assert store.runs() == []
