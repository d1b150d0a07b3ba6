"""Options mode: the shared-prompt-cache path equals naive per-option forwards."""

from __future__ import annotations

import torch

from auditor.evaluation.prompts import PromptBuilder
from auditor.evaluation.scoring.options import (
    answers_from_logliks,
    naive_option_logliks,
    option_logliks,
    option_token_ids,
    score_options,
)


def test_prefix_shared_logliks_equal_naive(tiny_model, few_items):
    builder = PromptBuilder(tiny_model.tokenizer)
    items = list(few_items[:12])
    prompt_ids = [builder.prompt_ids(item) for item in items]
    option_lengths = {len(o) for item in items for o in option_token_ids(builder, item)}
    assert len(option_lengths) > 2 and len({len(p) for p in prompt_ids}) > 3  # real padding
    sums, counts = option_logliks(tiny_model.model, builder, items, prompt_ids)
    ref_sums, ref_counts = naive_option_logliks(tiny_model.model, builder, items, prompt_ids)
    assert torch.equal(counts, ref_counts)
    assert torch.allclose(sums, ref_sums, atol=1e-4), (sums - ref_sums).abs().max()
    shared = answers_from_logliks(items, sums, counts)
    naive = answers_from_logliks(items, ref_sums, ref_counts)
    assert [a.predicted for a in shared] == [a.predicted for a in naive]
    assert [a.predicted for a in score_options(tiny_model.model, builder, items, prompt_ids)] == [
        a.predicted for a in naive
    ]


def test_scores_are_length_normalised(tiny_model, few_items):
    builder = PromptBuilder(tiny_model.tokenizer)
    items = list(few_items[:3])
    prompt_ids = [builder.prompt_ids(item) for item in items]
    sums, counts = option_logliks(tiny_model.model, builder, items, prompt_ids)
    answers = score_options(tiny_model.model, builder, items, prompt_ids)
    expected = (sums / counts).tolist()
    for answer, row, total in zip(answers, expected, sums.tolist(), strict=True):
        assert answer.scores == (*row, *total)  # means, then sums
        assert answer.predicted == max(range(3), key=row.__getitem__)
