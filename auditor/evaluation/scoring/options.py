"""Options mode: the log-likelihood of each option's text given the prompt.

The prompt runs once; its KV cache is repeated for the three options, which run as one
right-padded batch continuing the cache (attention mask concatenated, position ids
continuing from each prompt's length). ``naive_option_logliks`` is the one-forward-per-
option reference it must match.
"""

from __future__ import annotations

from collections.abc import Sequence

from auditor.core.answers import Answer
from auditor.core.items import Item
from auditor.evaluation.scoring.batching import left_pad, right_pad

K = 3  # options per item


def option_token_ids(builder, item: Item) -> list[list[int]]:
    """Token ids of each option's continuation text (see PromptBuilder.option_text)."""
    tok = builder.tokenizer
    return [tok.encode(builder.option_text(item, k), add_special_tokens=False) for k in range(K)]


def option_logliks(model, builder, items: Sequence[Item], prompt_ids: Sequence[list[int]]):
    """(sums, counts): float tensors [len(items), 3] of summed option-token log-probs and
    option token counts, with the prompt's cache shared by its three options."""
    import torch

    pad = builder.tokenizer.pad_token_id
    device = model.device
    ids, mask, positions = left_pad(prompt_ids, pad, device)
    options = [o for item in items for o in option_token_ids(builder, item)]
    opt_ids, opt_mask = right_pad(options, pad, device)
    lengths = mask.sum(-1).repeat_interleave(K)
    with torch.inference_mode():
        out = model(
            input_ids=ids, attention_mask=mask, position_ids=positions,
            use_cache=True, logits_to_keep=1,
        )  # fmt: skip
        cache = out.cache
        cache.batch_repeat_interleave(K)  # in place: row b -> rows 3b, 3b+1, 3b+2
        width = opt_ids.shape[1]
        out2 = model(
            input_ids=opt_ids,
            attention_mask=torch.cat([mask.repeat_interleave(K, 0), opt_mask], dim=1),
            position_ids=lengths[:, None] + torch.arange(width, device=device)[None, :],
            cache=cache,
            use_cache=True,
        )
        first = out.logits[:, -1:, :].repeat_interleave(K, 0)
        logits = torch.cat([first, out2.logits[:, :-1, :]], dim=1).float()
        token_lp = logits.log_softmax(-1).gather(-1, opt_ids[..., None])[..., 0]
        sums = (token_lp * opt_mask).sum(-1).view(len(items), K).cpu()
    counts = opt_mask.sum(-1).view(len(items), K).float().cpu()
    return sums, counts


def shared_option_logliks(model, builder, items: Sequence[Item], prompt_ids: Sequence[list[int]]):
    """``option_logliks`` on the batch's prefix tree: prompts and their options form one
    tree, so a prefix shared across items (not only within one) runs once."""
    import torch

    from auditor.evaluation.scoring.branched import tree_logprobs

    seqs: list[list[int]] = []
    wants: list[tuple[int, int, tuple[int, ...]]] = []
    owner: list[tuple[int, int]] = []
    counts = torch.zeros(len(items), K)
    for i, (item, prompt) in enumerate(zip(items, prompt_ids, strict=True)):
        for k, option in enumerate(option_token_ids(builder, item)):
            for j, token in enumerate(option):
                wants.append((len(seqs), len(prompt) - 1 + j, (token,)))
                owner.append((i, k))
            seqs.append(prompt + option)
            counts[i, k] = len(option)
    logp = tree_logprobs(model, seqs, wants)
    sums = torch.zeros(len(items), K)
    for (i, k), value in zip(owner, logp, strict=True):
        sums[i, k] += value[0]
    return sums, counts


def naive_option_logliks(model, builder, items: Sequence[Item], prompt_ids: Sequence[list[int]]):
    """Reference for ``option_logliks``: one unbatched forward of prompt + option each."""
    import torch

    sums = torch.zeros(len(items), K)
    counts = torch.zeros(len(items), K)
    with torch.inference_mode():
        for i, (item, prompt) in enumerate(zip(items, prompt_ids, strict=True)):
            for k, option in enumerate(option_token_ids(builder, item)):
                full = torch.tensor([prompt + option], device=model.device)
                logits = model(input_ids=full, use_cache=False).logits[0].float()
                lp = logits[len(prompt) - 1 : -1].log_softmax(-1)
                sums[i, k] = lp.gather(-1, full[0, len(prompt) :, None]).sum()
                counts[i, k] = len(option)
    return sums, counts


def answers_from_logliks(items: Sequence[Item], sums, counts) -> list[Answer]:
    """Answers predicting the highest per-token (length-normalised) log-likelihood.

    ``scores`` holds six numbers: the per-token means for A, B, C, then the summed
    log-likelihoods for A, B, C.
    """
    means = sums / counts.clamp(min=1)
    return [
        Answer(item.id, int(mean.argmax()), tuple(float(x) for x in (*mean, *total)))
        for item, mean, total in zip(items, means, sums, strict=True)
    ]


def score_options(
    model, builder, items: Sequence[Item], prompt_ids: Sequence[list[int]], shared: bool = False
):
    """Answers for one batch by option log-likelihood (each prompt's cache shared by its
    options; ``shared``: every prefix of the batch's tree shared)."""
    scorer = shared_option_logliks if shared else option_logliks
    sums, counts = scorer(model, builder, items, prompt_ids)
    return answers_from_logliks(items, sums, counts)
