"""Generate mode: batched greedy generation equals generating one item at a time."""

from __future__ import annotations

from auditor.evaluation.prompts import PromptBuilder
from auditor.evaluation.scoring.generate import score_generate
from auditor.evaluation.scoring.parse import parse_answer


def test_batched_generation_equals_single(tiny_model, few_items):
    builder = PromptBuilder(tiny_model.tokenizer)
    items = list(few_items[:6])
    prompt_ids = [builder.prompt_ids(item) for item in items]
    batched = score_generate(tiny_model.model, builder, items, prompt_ids, max_new_tokens=4)
    single = [
        score_generate(tiny_model.model, builder, [item], [ids], max_new_tokens=4)[0]
        for item, ids in zip(items, prompt_ids, strict=True)
    ]
    assert batched == single
    for item, answer in zip(items, batched, strict=True):
        assert answer.scores == ()
        assert answer.predicted == parse_answer(answer.text, item)  # random model: mostly None
