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


def test_evaluate_stores_every_item_and_reports_progress(
    store, tiny_model, tiny_llama_dir, few_items
):
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


def _close(a, b, tol=1e-5):
    assert a.item_id == b.item_id and a.predicted == b.predicted
    assert all(
        abs(x - y) <= tol * max(1.0, abs(x)) for x, y in zip(a.scores, b.scores, strict=True)
    )


@pytest.mark.parametrize("mode,orders", [("letter", "none"), ("options", "cyclic")])
def test_prefix_cache_is_not_in_the_run_key_and_answers_agree(
    tmp_path, tiny_model, tiny_llama_dir, few_items, mode, orders
):
    spec = spec_of(tiny_llama_dir)
    runs = {}
    for switch in ("off", "on"):
        with Store(tmp_path / f"{switch}.sqlite") as s:
            run_id = evaluate(spec, few_items, store=s, batch_size=5, loaded=tiny_model, mode=mode,
                              orders=orders, prefix_cache=switch)  # fmt: skip
            assert s.run(run_id).settings["prefix_cache"] == switch
            runs[switch] = (
                run_id,
                {a.item_id: a for a in s.answers(run_id)},
                s.order_answers(run_id) if orders != "none" else {},
            )
    assert runs["on"][0] == runs["off"][0]  # a store evaluated either way is reused
    assert runs["on"][1].keys() == runs["off"][1].keys() == {i.id for i in few_items}
    for item_id, answer in runs["off"][1].items():
        _close(answer, runs["on"][1][item_id])
    for item_id, by_order in runs["off"][2].items():
        for key, answer in by_order.items():
            _close(answer, runs["on"][2][item_id][key])


def test_a_run_cancelled_with_the_prefix_tree_resumes_without_it(
    store, tiny_model, tiny_llama_dir, few_items
):
    spec = spec_of(tiny_llama_dir)
    token = threading.Event()

    def cancel_after_two_batches(event):
        if isinstance(event, ItemsScored) and event.done >= 8:
            token.set()

    with pytest.raises(Cancelled):
        evaluate(spec, few_items, store=store, batch_size=4, loaded=tiny_model, orders="cyclic",
                 reporter=cancel_after_two_batches, cancel=token, prefix_cache="on")  # fmt: skip
    (run,) = store.runs()
    stored = store.order_answers(run.id)
    assert run.status == "cancelled" and sum(map(len, stored.values())) == 8
    run_id = evaluate(spec, few_items, store=store, batch_size=4, loaded=tiny_model,
                      orders="cyclic", prefix_cache="off")  # fmt: skip
    assert run_id == run.id and store.run(run_id).status == "done"
    by_order = store.order_answers(run_id)
    assert {k: len(v) for k, v in by_order.items()} == {i.id: 3 for i in few_items}
    for item_id, orders in stored.items():  # what was stored first stays as it was
        assert {k: by_order[item_id][k] for k in orders} == orders
    assert len(store.answers(run_id)) == len(few_items)
