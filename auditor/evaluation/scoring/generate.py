"""Generate mode: greedy decoding of a short answer, then parsing it into an option."""

from __future__ import annotations

from collections.abc import Sequence

from auditor.core.answers import Answer
from auditor.core.items import Item
from auditor.evaluation.scoring.batching import left_pad
from auditor.evaluation.scoring.parse import parse_answer


def score_generate(
    model, builder, items: Sequence[Item], prompt_ids: Sequence[list[int]], max_new_tokens=8
):
    """Answers for one batch; an unparseable generation gives ``predicted=None``."""
    import torch

    tok = builder.tokenizer
    ids, mask, _ = left_pad(prompt_ids, tok.pad_token_id, model.device)
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            temperature=None,
            top_p=None,
            top_k=None,
            pad_token_id=tok.pad_token_id,
        )
    texts = tok.batch_decode(out[:, ids.shape[1] :], skip_special_tokens=True)
    return [
        Answer(item.id, parse_answer(text, item), (), text.strip())
        for item, text in zip(items, texts, strict=True)
    ]
