"""The real SmolLM2-135M-Instruct on a handful of BBQ items, in every scoring mode."""

from __future__ import annotations

import torch

from auditor.prompts import PromptBuilder
from auditor.scoring import score_batch
from auditor.scoring.options import naive_option_logliks, option_logliks


def test_smollm2_letter_options_generate(smollm2, few_items):
    items = [few_items[i] for i in (0, 5, 17)]
    builder = PromptBuilder(smollm2.tokenizer)
    prompt_ids = [builder.prompt_ids(item) for item in items]
    model = smollm2.model

    letter = score_batch("letter", model, builder, items, prompt_ids)
    # An instruction-tuned model puts real mass on the answer letters.
    assert all(sum(torch.tensor(a.scores).exp()) > 0.5 for a in letter)

    sums, counts = option_logliks(model, builder, items, prompt_ids)
    ref_sums, _ = naive_option_logliks(model, builder, items[:1], prompt_ids[:1])  # slow
    assert torch.allclose(sums[:1], ref_sums, atol=1e-3)
    options = score_batch("options", model, builder, items, prompt_ids)
    assert [a.predicted for a in options] == (sums / counts).argmax(-1).tolist()

    generated = score_batch("generate", model, builder, items, prompt_ids, max_new_tokens=4)
    assert all(a.text for a in generated)
    # It answers in the asked format, and the parse agrees with its own letter choice.
    assert all(a.predicted is not None for a in generated)
    assert [a.text[0] for a in generated] == ["ABC"[a.predicted] for a in generated]
