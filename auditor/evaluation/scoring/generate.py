"""Generate mode: greedy decoding of a short answer, then parsing it into an option."""

from __future__ import annotations

from collections.abc import Sequence

from auditor.core.answers import Answer
from auditor.core.items import Item
from auditor.evaluation.scoring.batching import left_pad
from auditor.evaluation.scoring.parse import parse_answer


def score_generate(
    model,
    builder,
    items: Sequence[Item],
    prompt_ids: Sequence[list[int]],
    max_new_tokens=8,
    shared: bool = False,
):
    """Answers for one batch; an unparseable generation gives ``predicted=None``.

    ``shared``: the prompts but their last tokens run as a prefix tree (see ``branched``),
    and generation starts from their branched, left-padded cache.
    """
    import torch

    tok = builder.tokenizer
    ids, mask, _ = left_pad(prompt_ids, tok.pad_token_id, model.device)
    cache = {}
    if shared and all(len(p) > 1 for p in prompt_ids):
        cache = {"cache": _prompt_cache(model, prompt_ids, ids.shape[1])}
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=mask,
            **cache,
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


def _prompt_cache(model, prompt_ids: Sequence[list[int]], width: int):
    """A DynamicCache of every prompt but its last token, computed on their prefix tree and
    left-padded to ``width - 1``: the layout ``generate`` continues from."""
    from transformers import DynamicCache

    from auditor.evaluation.scoring.branched import tree_logprobs

    heads = [p[:-1] for p in prompt_ids]
    _, paths = tree_logprobs(model, heads, [], keep=range(len(heads)))
    layers = []
    for layer, (rk, rv) in enumerate(paths[0]):
        k = rk.new_zeros(len(heads), rk.shape[0], width - 1, rk.shape[2])
        v = rv.new_zeros(len(heads), rv.shape[0], width - 1, rv.shape[2])
        for row, head in enumerate(heads):
            k[row, :, width - 1 - len(head) :], v[row, :, width - 1 - len(head) :] = paths[row][
                layer
            ]
        layers.append((k, v))
    return DynamicCache(ddp_cache_data=layers)
