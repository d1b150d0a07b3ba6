"""Option-order rotation on the real scorers: answers mapped back, position bias, order
consistency, aggregation and resuming at the (item, ordering) level."""

from __future__ import annotations

import copy
import math
import threading

import pytest
import torch

from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.core.events import Cancelled, ItemsScored
from auditor.evaluation.evaluate import evaluate
from auditor.evaluation.orders import (
    aggregate,
    order_key,
    orderings,
    permuted,
    to_item_order,
)
from auditor.evaluation.prompts import PromptBuilder
from auditor.evaluation.scoring.options import naive_option_logliks
from auditor.models.loading import ModelSpec
from auditor.stats.position import compare_rotation, consistency, position_bias
from auditor.store.db import Store


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "runs.sqlite") as s:
        yield s


def spec_of(folder):
    return ModelSpec(str(folder), device="cpu")


@pytest.fixture(scope="module")
def always_a(tiny_model):
    """The tiny model with a bias of +50 on the token of "A" in its LM head: a real model
    that answers A whatever the prompt."""
    loaded = copy.copy(tiny_model)
    model = copy.deepcopy(tiny_model.model)
    old = model.lm_head
    head = torch.nn.Linear(old.in_features, old.out_features, bias=True)
    with torch.no_grad():
        head.weight.copy_(old.weight)
        head.bias.zero_()
        head.bias[PromptBuilder(tiny_model.tokenizer).letter_ids()[0]] = 50.0
    model.lm_head = head
    loaded.model = model
    return loaded


def test_orderings_permute_options_and_map_answers_back(few_items):
    assert orderings("none") == ((0, 1, 2),)
    assert orderings("cyclic") == ((0, 1, 2), (1, 2, 0), (2, 0, 1))
    assert len(set(orderings("all"))) == 6
    with pytest.raises(InputError):
        orderings("reversed")
    item = next(i for i in few_items if i.roles is not None)
    assert permuted(item, (0, 1, 2)) is item
    for perm in orderings("all"):
        shown = permuted(item, perm)
        assert shown.id == item.id and shown.template == item.template
        for position, option in enumerate(perm):
            assert shown.options[position] == item.options[option]
            assert shown.role_of(position) == item.role_of(option)
        assert shown.options[shown.label] == item.options[item.label]
        answer = Answer(item.id, 0, (1.0, 2.0, 3.0, 4.0, 5.0, 6.0))
        back = to_item_order(answer, perm)
        assert back.predicted == perm[0]
        assert [back.scores[perm[p]] for p in range(3)] == [1.0, 2.0, 3.0]
        assert [back.scores[3 + perm[p]] for p in range(3)] == [4.0, 5.0, 6.0]
    mean = aggregate(
        "x", {"012": Answer("x", 0, (-1.0, -2.0, -3.0)), "120": Answer("x", 1, (-3.0, -0.5, -3.0))}
    )
    assert mean.scores == (-2.0, -1.25, -3.0) and mean.predicted == 1


@pytest.mark.parametrize("orders, k", [("cyclic", 3), ("all", 6)])
def test_a_model_that_always_answers_a(store, always_a, tiny_llama_dir, few_items, orders, k):
    """A model that always answers "A", scored in k orderings of each of N items.

    Each ordering puts option perm[0] at A, so the model chooses option perm[0]. Over the
    3 rotations (or 6 permutations) perm[0] takes every option (each once, or twice), so
    no item gets the same option in every ordering: order consistency is exactly 0. The
    correct option sits at each letter in the same number of orderings, so the shares the
    correct answers' positions give are (1/3, 1/3, 1/3), while the chosen ones are
    (1, 0, 0): the distance ½·Σ|chosen − expected| = ½·(2/3 + 1/3 + 1/3) = 2/3, the
    largest possible, 1 − min(expected). With M = N·k answers, χ² = (M − M/3)²/(M/3)
    + 2·(M/3)²/(M/3) = 4M/3 + 2M/3 = 2M on 2 degrees of freedom, so p = exp(−χ²/2)
    = exp(−M). Each ordering's answer is right exactly when the label sits at A: in 1 of
    the 3 rotations (2 of the 6 permutations), so per-ordering accuracy is exactly 1/3.
    """
    run_id = evaluate(
        spec_of(tiny_llama_dir),
        few_items,
        store=store,
        loaded=always_a,
        orders=orders,
        batch_size=7,
    )
    by_item = store.order_answers(run_id)
    n = len(few_items)
    assert len(by_item) == n and all(len(v) == k for v in by_item.values())
    for orders_of_item in by_item.values():
        for key, answer in orders_of_item.items():
            assert answer.predicted == int(key[0])  # position A, mapped back to the item
    items = {i.id: i for i in few_items}
    bias = position_bias(items, by_item)
    m = n * k
    assert bias.n == m and bias.chosen == (m, 0, 0)
    assert bias.expected == pytest.approx((1 / 3, 1 / 3, 1 / 3), abs=1e-12)
    assert bias.distance == pytest.approx(2 / 3) == pytest.approx(bias.max_distance)
    assert bias.chi2 == pytest.approx(2 * m)
    assert bias.p == pytest.approx(math.exp(-m), rel=1e-6)
    cons = consistency(by_item)
    assert (cons.n, cons.consistent, cons.share) == (n, 0, 0.0)
    right = sum(a.predicted == items[i].label for i, v in by_item.items() for a in v.values())
    assert right * 3 == m
    answers = store.answers(run_id)  # one aggregated answer per item
    assert sorted(a.item_id for a in answers) == sorted(items)
    for answer in answers:
        assert answer == aggregate(answer.item_id, by_item[answer.item_id])
    change = compare_rotation(items, by_item, by_item, orders=orders, n_boot=200)
    assert change.distance_delta == 0 and change.consistency_delta == 0
    assert change.b == change.c == 0 and change.consistency_p == 1.0


def test_orders_are_part_of_the_run_key(store, tiny_model, tiny_llama_dir, few_items):
    spec = spec_of(tiny_llama_dir)
    plain = evaluate(spec, few_items[:4], store=store, loaded=tiny_model)
    cyclic = evaluate(spec, few_items[:4], store=store, loaded=tiny_model, orders="cyclic")
    assert plain != cyclic
    assert store.order_answers(plain) == {}
    assert store.run(cyclic).settings["orders"] == "cyclic"
    with pytest.raises(InputError, match="generate mode cannot be rotated"):
        evaluate(
            spec, few_items[:4], store=store, loaded=tiny_model, mode="generate", orders="cyclic"
        )


def test_options_mode_scores_each_ordering_and_maps_scores_back(
    store, tiny_model, tiny_llama_dir, few_items
):
    items = list(few_items[:6])
    run_id = evaluate(
        spec_of(tiny_llama_dir),
        items,
        store=store,
        loaded=tiny_model,
        mode="options",
        orders="cyclic",
        batch_size=4,
    )
    by_item = store.order_answers(run_id)
    builder = PromptBuilder(tiny_model.tokenizer)
    for perm in orderings("cyclic"):
        shown = [permuted(item, perm) for item in items]
        sums, counts = naive_option_logliks(
            tiny_model.model, builder, shown, [builder.prompt_ids(s) for s in shown]
        )
        for item, row_sum, row_count in zip(items, sums, counts, strict=True):
            stored = by_item[item.id][order_key(perm)].scores
            for position, option in enumerate(perm):  # stored in the item's own order
                assert stored[3 + option] == pytest.approx(float(row_sum[position]), abs=1e-4)
                assert stored[option] == pytest.approx(
                    float(row_sum[position] / row_count[position]), abs=1e-4
                )


def test_cancel_then_resume_per_ordering_equals_uninterrupted(
    tmp_path, store, tiny_model, tiny_llama_dir, few_items
):
    spec = spec_of(tiny_llama_dir)
    token = threading.Event()
    seen = []

    def cancel_after_two_batches(event):
        if isinstance(event, ItemsScored):
            seen.append(event)
            if event.done >= 10:
                token.set()

    with pytest.raises(Cancelled):
        evaluate(
            spec,
            few_items,
            store=store,
            loaded=tiny_model,
            orders="cyclic",
            batch_size=5,
            reporter=cancel_after_two_batches,
            cancel=token,
        )
    (run,) = store.runs()
    assert seen[-1].total == 3 * len(few_items)
    partial = store.done_orders(run.id)
    assert 0 < len(partial) < 3 * len(few_items)
    run_id = evaluate(
        spec, few_items, store=store, loaded=tiny_model, orders="cyclic", batch_size=5
    )
    assert run_id == run.id and store.run(run_id).status == "done"
    with Store(tmp_path / "fresh.sqlite") as fresh:
        clean = evaluate(
            spec, few_items, store=fresh, loaded=tiny_model, orders="cyclic", batch_size=5
        )
        assert fresh.order_answers(clean) == store.order_answers(run_id)
        key = lambda a: a.item_id  # noqa: E731
        assert sorted(fresh.answers(clean), key=key) == sorted(store.answers(run_id), key=key)


def test_an_old_store_opens_read_only_and_is_upgraded_by_a_writer(tmp_path):
    import sqlite3

    from auditor.store.migrations import MIGRATIONS

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    with Store(path, readonly=True) as old:
        assert old.schema_version == 1 and old.runs() == []
        assert old.order_answers("eval-x") == {} and old.done_orders("eval-x") == set()
    with Store(path) as upgraded:
        assert upgraded.schema_version == len(MIGRATIONS) == 2
