"""evaluate(): every item stored once, progress events, cancel and resume, run identity."""

from __future__ import annotations

import threading

import pytest

from auditor.core.errors import InputError
from auditor.core.events import Cancelled, ItemsScored, Message
from auditor.evaluation.evaluate import evaluate, items_checksum
from auditor.models.loading import ModelSpec
from auditor.store.db import Store


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "runs.sqlite") as s:
        yield s


def spec_of(tiny_llama_dir):
    return ModelSpec(str(tiny_llama_dir), device="cpu")


def test_evaluate_stores_every_item_and_reports_progress(store, tiny_model, tiny_llama_dir, few_items):
    events = []
    run_id = evaluate(spec_of(tiny_llama_dir), few_items, store=store, batch_size=5,
                      loaded=tiny_model, reporter=events.append, data_checksum="abc")  # fmt: skip
    run = store.run(run_id)
    assert run.status == "done" and run.done == len(few_items) == run.total
    assert run.mode == "letter" and run.data_checksum == "abc"
    assert run.template.endswith("<|im_start|>assistant\n")
    assert run.settings["model"]["fingerprint"] == tiny_model.info["fingerprint"]
    assert run.settings["items_checksum"] == items_checksum(few_items)
    assert {a.item_id for a in store.answers(run_id)} == {i.id for i in few_items}
    progress = [e for e in events if isinstance(e, ItemsScored)]
    assert [e.done for e in progress] == [0, 5, 10, 15, 20, 24]
    assert all(e.total == 24 and e.run_id == run_id for e in progress)
    assert progress[-1].eta_s == 0 and progress[-1].rate > 0


def test_rerun_reuses_the_run_and_scores_nothing(store, tiny_model, tiny_llama_dir, few_items):
    spec = spec_of(tiny_llama_dir)
    first = evaluate(spec, few_items, store=store, loaded=tiny_model)
    events = []
    again = evaluate(spec, list(reversed(few_items)), store=store, loaded=tiny_model,
                     reporter=events.append)  # fmt: skip
    assert again == first
    assert [e.done for e in events if isinstance(e, ItemsScored)] == [24]
    assert any(isinstance(e, Message) and "resuming" in e.text for e in events)
    # Loading from the spec (no loaded model) finds the same run too.
    assert evaluate(spec, few_items, store=store) == first
    # Another mode, another item set or other settings are other runs.
    assert evaluate(spec, few_items, store=store, loaded=tiny_model, mode="options") != first
    assert evaluate(spec, few_items[:8], store=store, loaded=tiny_model) != first
    assert evaluate(spec, few_items, store=store, loaded=tiny_model,
                    extra_settings={"stage": "x"}) != first  # fmt: skip


def test_cancel_between_batches_then_resume_equals_uninterrupted(
    tmp_path, store, tiny_model, tiny_llama_dir, few_items
):
    spec = spec_of(tiny_llama_dir)
    token = threading.Event()

    def cancel_after_two_batches(event):
        if isinstance(event, ItemsScored) and event.done >= 8:
            token.set()

    with pytest.raises(Cancelled):
        evaluate(spec, few_items, store=store, batch_size=4, loaded=tiny_model, mode="options",
                 reporter=cancel_after_two_batches, cancel=token)  # fmt: skip
    (run,) = store.runs()
    assert run.status == "cancelled" and run.done == 8
    run_id = evaluate(spec, few_items, store=store, batch_size=4, loaded=tiny_model, mode="options")
    assert run_id == run.id and store.run(run_id).status == "done"
    with Store(tmp_path / "fresh.sqlite") as fresh:
        clean = evaluate(spec, few_items, store=fresh, batch_size=4, loaded=tiny_model,
                         mode="options")  # fmt: skip
        expected = {a.item_id: a for a in fresh.answers(clean)}
    resumed = store.answers(run_id)
    assert len(resumed) == len(few_items)
    assert {a.item_id: a for a in resumed} == expected  # identical scores, not just choices


def test_generate_mode_records_text(store, tiny_model, tiny_llama_dir, few_items):
    run_id = evaluate(spec_of(tiny_llama_dir), few_items[:4], store=store, loaded=tiny_model,
                      mode="generate", max_new_tokens=3)  # fmt: skip
    answers = store.answers(run_id)
    assert len(answers) == 4 and all(a.scores == () for a in answers)
    assert store.run(run_id).settings["max_new_tokens"] == 3


def test_a_model_in_training_mode_is_scored_in_eval_mode_and_restored(
    store, tiny_model, tiny_llama_dir, few_items
):
    tiny_model.model.train()
    try:
        run_id = evaluate(spec_of(tiny_llama_dir), few_items[:4], store=store, loaded=tiny_model)
        assert tiny_model.model.training
    finally:
        tiny_model.model.eval()
    assert store.run(run_id).done == 4


def test_bad_arguments_are_input_errors(store, tiny_model, tiny_llama_dir, few_items):
    spec = spec_of(tiny_llama_dir)
    with pytest.raises(InputError, match="mode"):
        evaluate(spec, few_items, store=store, loaded=tiny_model, mode="vibes")
    with pytest.raises(InputError, match="no items"):
        evaluate(spec, [], store=store, loaded=tiny_model)
    with pytest.raises(InputError, match="duplicate"):
        evaluate(spec, [few_items[0], few_items[0]], store=store, loaded=tiny_model)
