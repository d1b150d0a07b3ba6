"""The forward of a prefix tree: every edge runs once, continuing its parent's KV cache.

A batch's sequences form a radix tree (``prefix_tree.Tree``). Level by level, edges of
one level run as one batch (``Tree.runs``): each row's past is its parent's path (the KV
entries of every edge above it), left-padded into a ``DynamicCache``; its edge tokens
follow, right-padded,
with position ids continuing from the path's length, so each token sees exactly the keys
(with their RoPE positions) and the positions it would see in its own unshared forward.
Logits are projected only where asked (``logits_to_keep`` as a boolean mask).
"""

from __future__ import annotations

from collections.abc import Sequence

from auditor.core.choices import SWITCHES
from auditor.core.errors import InputError
from auditor.evaluation.scoring.prefix_tree import Tree

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
    (its module uses transformers' ``slice_logits_to_keep``)."""
    import sys

    config = getattr(model, "config", None)
    if config is None or getattr(config, "is_encoder_decoder", False):
        return False
    module = sys.modules.get(type(model).__module__)
    if not hasattr(module, "slice_logits_to_keep"):
        return False
    text = config.get_text_config(decoder=True)
    types = getattr(text, "layer_types", None) or ()
    return all(t in BRANCHABLE_LAYERS for t in types)


def tree_logprobs(
    model,
    tree: Tree,
    wants: Sequence[tuple[int, int, Sequence[int]]],
    pad_id: int,
    keep: Sequence[int] = (),
):
    """For each want ``(seq, position, token_ids)``: the float log-probabilities (over the
    full vocabulary) of ``token_ids`` as the next token after ``position`` of sequence
    ``seq``. With ``keep`` (sequence indices), also their paths' KV states: returns
    ``(logprobs, paths)`` where ``paths[seq]`` is a list of per-layer (keys, values), each
    ``[kv_heads, len(seq), head_dim]``."""
    import torch

    needs: dict[int, list[tuple[int, int]]] = {}
    for w, (seq, position, _) in enumerate(wants):
        node, offset = tree.locate(seq, position)
        needs.setdefault(node, []).append((offset, w))
    kept_nodes = {tree.ends[s] for s in keep}
    out: list = [None] * len(wants)
    paths: dict[int, list] = {}  # node -> per-layer (keys, values) of its whole path
    waiting = {n: len(node.children) for n, node in enumerate(tree.nodes)}
    with torch.inference_mode():
        for run in tree.runs():
            _forward_run(model, tree, run, needs, wants, pad_id, paths, kept_nodes, out)
            for n in run:
                parent = tree.nodes[n].parent
                if parent is not None:
                    waiting[parent] -= 1
                    if not waiting[parent] and parent not in kept_nodes:
                        paths.pop(parent, None)  # every child has run
    if keep:
        return out, {s: paths[tree.ends[s]] for s in keep}
    return out


def _forward_run(model, tree, rows, needs, wants, pad_id, paths, kept_nodes, out) -> None:
    import torch
    from transformers import DynamicCache

    device = model.device
    nodes = [tree.nodes[n] for n in rows]
    past = [n.start for n in nodes]
    width_past, width = max(past), max(len(n.tokens) for n in nodes)
    b = len(rows)
    ids = torch.full((b, width), pad_id, dtype=torch.long)
    mask = torch.zeros((b, width_past + width), dtype=torch.long)
    keep_logits = torch.zeros((b, width), dtype=torch.bool)
    picked: list[list[int]] = []  # the wants at each kept position, row-major (mask order)
    for r, (n, node) in enumerate(zip(rows, nodes, strict=True)):
        ids[r, : len(node.tokens)] = torch.tensor(node.tokens, dtype=torch.long)
        mask[r, width_past - node.start : width_past + len(node.tokens)] = 1
        at: dict[int, list[int]] = {}
        for offset, w in needs.get(n, ()):
            at.setdefault(offset, []).append(w)
        for offset in sorted(at):
            keep_logits[r, offset] = True
            picked.append(at[offset])
    positions = torch.tensor(past)[:, None] + torch.arange(width)[None, :]
    cache = DynamicCache()
    if width_past:
        layers = []
        reference = next(paths[node.parent] for node in nodes if node.start)
        for layer, (rk, rv) in enumerate(reference):
            k = rk.new_zeros(b, rk.shape[0], width_past, rk.shape[2])
            v = rv.new_zeros(b, rv.shape[0], width_past, rv.shape[2])
            for r, node in enumerate(nodes):
                if node.start:
                    pk, pv = paths[node.parent][layer]
                    k[r, :, width_past - node.start :] = pk
                    v[r, :, width_past - node.start :] = pv
            layers.append((k, v))
        cache = DynamicCache(ddp_cache_data=layers)
    result = model(
        input_ids=ids.to(device), attention_mask=mask.to(device),
        position_ids=positions.to(device), cache=cache, use_cache=True,
        logits_to_keep=keep_logits.to(device) if picked else 1,
    )  # fmt: skip
    if picked:
        logp = result.logits.float().log_softmax(-1)
        for row, ws in zip(logp, picked, strict=True):
            for w in ws:
                out[w] = row[list(wants[w][2])].cpu()
    for r, (n, node) in enumerate(zip(rows, nodes, strict=True)):
        if node.children or n in kept_nodes:
            end = width_past + len(node.tokens)
            paths[n] = [
                (
                    layer.keys[r, :, width_past - node.start : end].clone(),
                    layer.values[r, :, width_past - node.start : end].clone(),
                )
                for layer in result.cache.layers
            ]
