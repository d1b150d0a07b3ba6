"""Letter mode: batched, left-padded scoring equals an unbatched reference."""

from __future__ import annotations

import torch

from auditor.evaluation.prompts import PromptBuilder
from auditor.evaluation.scoring.batching import plan_batches
from auditor.evaluation.scoring.letter import score_letters


def reference_letter_logprobs(model, builder, prompt_ids):
    """One unpadded forward per item over the full sequence, no logits_to_keep."""
    letters = builder.letter_ids()
    rows = []
    with torch.inference_mode():
        for ids in prompt_ids:
            logits = model(input_ids=torch.tensor([ids])).logits[0, -1].float()
            rows.append(logits.log_softmax(-1)[letters])
    return torch.stack(rows)


def test_batched_letter_scores_equal_unbatched_reference(tiny_model, few_items):
    builder = PromptBuilder(tiny_model.tokenizer)
    prompt_ids = [builder.prompt_ids(item) for item in few_items]
    assert len({len(p) for p in prompt_ids}) > 5  # real padding happens
    answers = {}
    for batch in plan_batches([len(p) for p in prompt_ids], 7):
        chunk = [few_items[i] for i in batch]
        for a in score_letters(tiny_model.model, builder, chunk, [prompt_ids[i] for i in batch]):
            answers[a.item_id] = a
    reference = reference_letter_logprobs(tiny_model.model, builder, prompt_ids)
    got = torch.tensor([answers[item.id].scores for item in few_items])
    assert torch.allclose(got, reference, atol=1e-4), (got - reference).abs().max()
    assert [answers[i.id].predicted for i in few_items] == reference.argmax(-1).tolist()
    # Scores are log-probabilities over the full vocabulary: they sum to less than 1.
    assert (got.exp().sum(-1) < 1).all()
