"""The forward of a prefix tree: every edge runs once, in one packed forward.

A batch's sequences form a radix tree (``prefix_tree.Tree``). Its edges are laid end to
end in one row (``Tree.layout``, a parent before its children), each token with the
position id it has on its own path, under a tree-shaped attention mask: a token sees the
tokens of its own edge up to itself and every token of the edges above it, and nothing
else. So each token sees exactly the keys (with their RoPE positions) it would see in its
own unshared forward, and the model runs one forward whose width is the tree's token
count, with no padding. Logits are projected only where asked (``logits_to_keep`` as a
boolean mask). On CPU the attention runs block by block, each block of queries on only the
keys it sees (``auditor.models.block_attention``).
"""

from __future__ import annotations

from collections.abc import Sequence

from auditor.core.choices import SWITCHES
from auditor.core.errors import InputError
from auditor.evaluation.scoring import prefix_tree
from auditor.evaluation.scoring.prefix_tree import Tree, packed_groups
from auditor.models import block_attention
from auditor.models.attention import ATTENTION, as_attention_mask
from auditor.models.block_attention import attention_blocks

BRANCHABLE_LAYERS = frozenset({"full_attention", "sliding_attention"})


def use_prefix_tree(setting: str, model, mode: str) -> bool:
    """Whether an evaluation runs its batches as prefix trees: ``off`` never, ``on``
    always (refused for a model whose cache cannot branch), ``auto`` in the modes
    registered with ``prefix_tree_auto``
    for a model whose cache can."""
    if setting not in SWITCHES:
        raise InputError(f"prefix_cache {setting!r}: expected one of {', '.join(SWITCHES)}")
    if setting == "off":
        return False
    if not branchable(model):
        if setting == "on":
            raise InputError(
                "prefix_cache on: this model's layers do not keep a key/value "
                "cache that can be shared between prompts; use "
                "--prefix-cache off (eval.prefix_cache)"
            )
        return False
    from auditor.evaluation import scoring

    return setting == "on" or scoring.get(mode).prefix_tree_auto


def branchable(model) -> bool:
    """Whether ``model`` is a decoder whose every layer keeps plain key/value states that a
    ``DynamicCache`` can hold and branch (not an encoder-decoder, no recurrent layers),
    and whose forward projects only the positions a boolean ``logits_to_keep`` marks
    (its module uses transformers' ``slice_logits_to_keep``) and takes a ready 4-D
    attention mask (its module uses ``create_causal_mask``; sdpa or eager attention)."""
    import sys

    config = getattr(model, "config", None)
    if config is None or getattr(config, "is_encoder_decoder", False):
        return False
    module = sys.modules.get(type(model).__module__)
    if not hasattr(module, "slice_logits_to_keep") or not hasattr(module, "create_causal_mask"):
        return False
    if getattr(config, "_attn_implementation", None) not in ATTENTION:
        return False
    text = config.get_text_config(decoder=True)
    types = getattr(text, "layer_types", None) or ()
    return all(t in BRANCHABLE_LAYERS for t in types)


def sliding_window(model, longest: int) -> int | None:
    """The sliding window the tree's mask must apply, ``None`` where none binds (no
    sliding layer, or no sequence longer than the window). A window that binds in a model
    mixing sliding and full layers cannot be one mask: refused."""
    text = model.config.get_text_config(decoder=True)
    window = getattr(text, "sliding_window", None)
    types = getattr(text, "layer_types", None)
    sliding = "sliding_attention" in types if types else bool(window)
    if not sliding or not window or longest <= window:
        return None
    if types and any(t != "sliding_attention" for t in types):
        raise InputError(
            f"prefix_cache: a prompt of {longest} tokens is longer than this model's "
            f"sliding window ({window}) and its layers mix sliding and full attention; "
            "use --prefix-cache off (eval.prefix_cache)"
        )
    return window


def tree_mask(tree: Tree, window: int | None = None):
    """The packed layout's attention mask, ``[tokens, tokens]`` booleans: a token sees
    the earlier tokens of its edge, itself, and every token of its ancestors' edges
    (within ``window`` positions, where a sliding window binds)."""
    import torch

    n = len(tree.nodes)
    above = torch.zeros(n, n, dtype=torch.bool)  # above[a, b]: b is a strict ancestor of a
    for index, node in enumerate(tree.nodes):  # parents come first
        if node.parent is not None:
            above[index] = above[node.parent]
            above[index, node.parent] = True
    owner = torch.tensor(
        [i for i, node in enumerate(tree.nodes) for _ in node.tokens], dtype=torch.long
    )
    order = torch.arange(len(owner))
    mask = above[owner][:, owner] | (
        (owner[:, None] == owner[None, :]) & (order[None, :] <= order[:, None])
    )
    if window is not None:
        depth = torch.tensor(tree.layout()[1])
        mask &= (depth[:, None] - depth[None, :]) < window
    return mask


def tree_logprobs(
    model,
    seqs: Sequence[Sequence[int]],
    wants: Sequence[tuple[int, int, Sequence[int]]],
    keep: Sequence[int] = (),
):
    """For each want ``(seq, position, token_ids)``: the float log-probabilities (over the
    full vocabulary) of ``token_ids`` as the next token after ``position`` of sequence
    ``seq``. With ``keep`` (sequence indices), also their paths' KV states: returns
    ``(logprobs, paths)`` where ``paths[seq]`` is a list of per-layer (keys, values), each
    ``[kv_heads, len(seq), head_dim]``. ``seqs`` run as prefix trees of at most
    ``packed_width(model)`` tokens each (``packed_groups``), one packed forward per tree."""
    groups = packed_groups(seqs, packed_width(model))
    where = {s: (g, n) for g, group in enumerate(groups) for n, s in enumerate(group)}
    mine: list[list[int]] = [[] for _ in groups]  # each group's wants
    for w, (s, _, _) in enumerate(wants):
        mine[where[s][0]].append(w)
    out: list = [None] * len(wants)
    paths: dict = {}
    for g, group in enumerate(groups):
        got, kept = _packed(
            model,
            Tree([seqs[s] for s in group]),
            [(where[wants[w][0]][1], wants[w][1], wants[w][2]) for w in mine[g]],
            [where[s][1] for s in keep if where[s][0] == g],
        )
        for w, value in zip(mine[g], got, strict=True):
            out[w] = value
        paths.update({group[n]: value for n, value in kept.items()})
    return (out, paths) if keep else out


BLOCK_ATTENTION = True
"""Whether a packed forward on CPU runs sdpa block by block (``attention_blocks``): it
measured faster there (``benchmarks/bench_scoring.py``); elsewhere the dense mask runs."""
BLOCK_LONGEST = 256
"""The most queries one attention block holds (a longer edge is cut)."""
BLOCK_MERGE = 128
"""Consecutive short edges share a block up to this many queries (fewer, larger calls)."""


def runs_in_blocks(model) -> bool:
    """Whether a packed forward of ``model`` runs its attention block by block: on CPU,
    where it measured faster (``BLOCK_ATTENTION``), for a model ``attention_blocks`` can
    switch; elsewhere the dense mask runs."""
    return BLOCK_ATTENTION and model.device.type == "cpu" and block_attention.supported(model)


def packed_width(model) -> int:
    """The most tokens one packed tree of ``model`` holds: ``BLOCK_PACKED_WIDTH`` where its
    attention runs block by block, else ``PACKED_WIDTH`` (read when called, so a test or
    benchmark may change either)."""
    if runs_in_blocks(model):
        return prefix_tree.BLOCK_PACKED_WIDTH
    return prefix_tree.PACKED_WIDTH


def query_spans(tree: Tree, first: Sequence[int]) -> list[tuple[int, int]]:
    """The packed layout's query positions in attention blocks (``first``: each edge's
    first index there, from ``Tree.layout``): each edge's (cut at ``BLOCK_LONGEST``),
    neighbours merged up to ``BLOCK_MERGE`` (``attention_blocks``)."""
    spans: list[tuple[int, int]] = []
    for node, start in zip(tree.nodes, first, strict=True):
        end = start + len(node.tokens)
        for cut in range(start, end, BLOCK_LONGEST):
            piece = (cut, min(end, cut + BLOCK_LONGEST))
            if spans and piece[1] - spans[-1][0] <= BLOCK_MERGE:
                spans[-1] = (spans[-1][0], piece[1])
            else:
                spans.append(piece)
    return spans


def _packed(model, tree: Tree, wants, keep) -> tuple[list, dict]:
    """One tree's packed forward: the wants' log-probabilities and the kept paths."""
    import torch

    tokens, positions, first = tree.layout()
    device = model.device
    at = [first[node] + offset for node, offset in (tree.locate(s, p) for s, p, _ in wants)]
    kept = sorted(set(at))
    logits_to_keep: object = 1
    if kept:
        logits_to_keep = torch.zeros(len(tokens), dtype=torch.bool)
        logits_to_keep[kept] = True
        logits_to_keep = logits_to_keep.to(device)
    allowed = tree_mask(tree, sliding_window(model, max(map(len, tree.seqs)))).to(device)
    mask = as_attention_mask(allowed[None, None], model.config._attn_implementation, model.dtype)
    spans = query_spans(tree, first) if runs_in_blocks(model) else None
    with torch.inference_mode(), attention_blocks(model, allowed, spans):
        result = model(
            input_ids=torch.tensor([tokens], device=device),
            attention_mask=mask,
            position_ids=torch.tensor([positions], device=device),
            use_cache=bool(keep),
            logits_to_keep=logits_to_keep,
        )
        out = []
        if kept:
            row = {index: r for r, index in enumerate(kept)}
            logp = result.logits[0].float().log_softmax(-1)
            out = [logp[row[index], list(w[2])].cpu() for index, w in zip(at, wants, strict=True)]
        paths = {}
        for s in keep:
            index = torch.tensor(
                [
                    i
                    for n in tree.path(tree.ends[s])
                    for i in range(first[n], first[n] + len(tree.nodes[n].tokens))
                ],
                device=device,
            )
            paths[s] = [
                (layer.keys[0][:, index], layer.values[0][:, index])
                for layer in result.cache.layers
            ]
    return out, paths
