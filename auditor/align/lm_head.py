"""Scoring only the completion tokens through trl's fused LM head."""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def completion_logits_only(enabled: bool = True):
    """Meanwhile, trl's fused LM head scores only the completion tokens on every device.

    trl 1.16 projects through the LM head only the positions with a label (the completion)
    when Triton runs on CUDA/XPU, and every position elsewhere, the prompt included, then
    discards the prompt's log-probs. The choice is ``trl.trainer.utils._use_triton``;
    answering True there feeds the same kernel the completion positions only (its torch
    path takes any number of rows). A trl without that hook keeps its own behaviour.
    """
    from trl.trainer import utils as trl_utils

    original = getattr(trl_utils, "_use_triton", None)
    if not enabled or original is None:
        yield
        return
    trl_utils._use_triton = lambda device: True
    try:
        yield
    finally:
        trl_utils._use_triton = original
