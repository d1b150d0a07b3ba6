"""Custom 4-D attention masks: which attention implementations take one, in which form."""

from __future__ import annotations

ATTENTION = ("sdpa", "eager")
"""Attention implementations that take a ready 4-D mask (flash kernels take none)."""


def as_attention_mask(allowed, impl: str, dtype):
    """``allowed`` (booleans, True where a query sees a key) as ``impl`` takes it: sdpa the
    booleans, eager an additive mask of ``dtype`` (0 or its most negative value)."""
    import torch

    if impl == "sdpa":
        return allowed
    return torch.zeros(allowed.shape, dtype=dtype, device=allowed.device).masked_fill(
        ~allowed, torch.finfo(dtype).min
    )
