"""The real SmolLM2-135M-Instruct on a handful of BBQ items, in every scoring mode."""

from __future__ import annotations

import torch

from auditor.evaluation.prompts import PromptBuilder
from auditor.evaluation.scoring import score_batch


def test_smollm2_letter_options_generate(smollm2, few_items):
    items = [few_items[i] for i in (0, 5, 17)]
    builder = PromptBuilder(smollm2.tokenizer)
    prompt_ids = [builder.prompt_ids(item) for item in items]
    model = smollm2.model

    letter = score_batch("letter", model, builder, items, prompt_ids)
    # An instruction-tuned model puts real mass on the answer letters.
    assert all(sum(torch.tensor(a.scores).exp()) > 0.5 for a in letter)

    # (prefix-shared == naive on this model: benchmarks/bench_scoring.py asserts it)
    options = score_batch("options", model, builder, items, prompt_ids)
    for answer in options:
        assert all(x < 0 for x in answer.scores)
        assert len(answer.scores) == 6  # per-token means, then sums
        assert answer.predicted == max(range(3), key=answer.scores.__getitem__)

    generated = score_batch("generate", model, builder, items, prompt_ids, max_new_tokens=4)
    # It answers in the asked format; the parse agrees with the letter it wrote, and
    # greedy decoding picks the letter that letter mode found most likely.
    assert all(a.predicted is not None for a in generated)
    assert [a.text[0] for a in generated] == ["ABC"[a.predicted] for a in generated]
    assert [a.predicted for a in generated] == [a.predicted for a in letter]
