"""The real SmolLM2-135M-Instruct through the three content-vs-format controls on a small
sample: option-order rotation, the cloze format and the bias-aligned accuracy gap."""

from __future__ import annotations

import pytest

from auditor.evaluation.evaluate import evaluate
from auditor.models.loading import ModelSpec
from auditor.stats import compare_runs
from auditor.stats.position import compare_rotation, consistency, position_bias
from auditor.store.db import Store


@pytest.mark.slow  # about a minute on two quiet CPU cores (60 prompts of ~120 tokens)
def test_smollm2_runs_every_control(tmp_path, smollm2, few_items):
    items = list(few_items[:12])
    by_id = {i.id: i for i in items}
    spec = ModelSpec("smollm2-135m", device="cpu")
    with Store(tmp_path / "runs.sqlite") as store:
        plain = evaluate(spec, items, store=store, loaded=smollm2)
        rotated = evaluate(spec, items, store=store, loaded=smollm2, orders="cyclic")
        cloze = evaluate(spec, items, store=store, loaded=smollm2, mode="cloze")
        by_order = store.order_answers(rotated)
        # the identity ordering is the unrotated prompt: the same answer, the same scores
        for answer in store.answers(plain):
            stored = by_order[answer.item_id]["012"]
            assert stored.predicted == answer.predicted
            assert stored.scores == pytest.approx(answer.scores, abs=1e-4)
        bias = position_bias(by_id, by_order)
        assert bias.n == 36 and bias.expected == pytest.approx((1 / 3,) * 3)
        assert 0 <= bias.distance <= bias.max_distance and 0 < bias.p <= 1
        cons = consistency(by_order)
        assert cons.n == 12 and 0 <= cons.share <= 1
        change = compare_rotation(by_id, by_order, by_order, orders="cyclic", n_boot=200)
        assert change.distance_delta == 0 and change.b == change.c == 0
        # the trained format against the untrained one, with the gap, on real answers
        table = compare_runs(
            by_id,
            store.answers(rotated),
            store.answers(cloze),
            target=("Gender_identity",),
            n_boot=200,
        )
        assert table.pairing.n_paired == 12 and len(table.gaps) == len(table.attributes)
        disambig = [i for i in items if i.context_condition == "disambig" and i.roles]
        assert sum(g.n_biased + g.n_anti_biased for g in table.gaps) == len(disambig)
