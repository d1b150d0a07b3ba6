"""Block-sparse sdpa for one packed forward whose mask is mostly empty (a prefix tree).

A packed tree's dense mask makes every query meet every key, though a token sees only
its own path. Within ``attention_blocks`` the model's sdpa attention runs block by block
instead: each span of queries (a run of consecutive positions) meets only the keys its
rows of the mask allow, gathered, under its rows of the mask. The result is the same
attention up to float rounding (the masked keys added nothing). It plugs in through
transformers' ``AttentionInterface``: the model's attention implementation is switched to
it for the forward and back after.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

NAME = "spillover_block_sdpa"
"""The name the block attention is registered under with transformers."""

_BLOCKS: ContextVar[list | None] = ContextVar("spillover_attention_blocks", default=None)


def _block_sdpa(module, query, key, value, attention_mask, **kwargs):
    """transformers' sdpa per block of the active blocks, or once where none are active."""
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    blocks = _BLOCKS.get()
    if blocks is None or key.shape[2] != query.shape[2]:
        return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)
    outs = []
    for start, end, keys, mask in blocks:
        out, _ = sdpa_attention_forward(
            module,
            query[:, :, start:end],
            key.index_select(2, keys),
            value.index_select(2, keys),
            mask,
            **kwargs,
        )
        outs.append(out)  # [batch, queries, heads, head_dim]
    return torch.cat(outs, dim=1), None


def blocks_of(allowed, spans: Sequence[tuple[int, int]]) -> list:
    """For each span ``(start, end)`` of query positions: the key positions its rows of
    ``allowed`` (``[n, n]`` booleans) let it see, and those rows' mask over them."""
    out = []
    for start, end in spans:
        rows = allowed[start:end]
        keys = rows.any(0).nonzero().flatten()
        out.append((start, end, keys, rows[:, keys][None, None]))
    return out


def supported(model) -> bool:
    """Whether ``attention_blocks`` can switch ``model``: sdpa attention, no sub-models
    (whose own implementations the switch would overwrite)."""
    config = model.config
    return config._attn_implementation == "sdpa" and not getattr(config, "sub_configs", {})


@contextmanager
def attention_blocks(model, allowed, spans: Sequence[tuple[int, int]] | None) -> Iterator[None]:
    """Within it, a forward of ``model`` over exactly ``allowed``'s positions runs its sdpa
    attention block by block (``spans`` cover the queries in order); with no spans or a
    model it cannot switch (``supported``), the model is left as it is."""
    config = model.config
    if not spans or not supported(model):
        yield
        return
    from transformers import AttentionInterface

    AttentionInterface.register(NAME, _block_sdpa)
    token = _BLOCKS.set(blocks_of(allowed, spans))
    config._attn_implementation = NAME
    try:
        yield
    finally:
        config._attn_implementation = "sdpa"
        _BLOCKS.reset(token)
