"""Letter mode: one forward per item, read the log-probabilities of the answer letters."""

from __future__ import annotations

from collections.abc import Sequence

from auditor.core.answers import Answer
from auditor.core.items import Item
from auditor.evaluation.scoring.batching import left_pad


def score_letters(model, builder, items: Sequence[Item], prompt_ids: Sequence[list[int]]):
    """Answers for one batch: ``scores`` are log P(letter | prompt) over the full
    vocabulary (not renormalised over A/B/C); the prediction is the most likely letter."""
    import torch

    letters = builder.letter_ids()
    device = model.device
    ids, mask, positions = left_pad(prompt_ids, builder.tokenizer.pad_token_id, device)
    with torch.inference_mode():
        out = model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=positions,
            use_cache=False,
            logits_to_keep=1,
        )
        logp = out.logits[:, -1, :].float().log_softmax(-1)[:, letters].cpu()
    return [
        Answer(item.id, int(row.argmax()), tuple(float(x) for x in row))
        for item, row in zip(items, logp, strict=True)
    ]


def score_letters_shared(model, builder, items: Sequence[Item], prompt_ids: Sequence[list[int]]):
    """``score_letters`` with every shared prompt prefix run once (see ``branched``)."""
    from auditor.evaluation.scoring.branched import tree_logprobs

    letters = builder.letter_ids()
    wants = [(i, len(p) - 1, letters) for i, p in enumerate(prompt_ids)]
    logp = tree_logprobs(model, prompt_ids, wants)
    return [
        Answer(item.id, int(row.argmax()), tuple(float(x) for x in row))
        for item, row in zip(items, logp, strict=True)
    ]
