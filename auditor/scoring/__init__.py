"""Scoring a batch of BBQ items with a loaded model, in one of three modes.

``letter``: one forward, log-probs of the letters A/B/C. ``options``: log-likelihood of
each option's text (prompt cache shared). ``generate``: greedy answer text, parsed.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..answers import Answer
from ..errors import InputError
from ..items import Item

MODES: tuple[str, ...] = ("letter", "options", "generate")


def score_batch(
    mode: str,
    model,
    builder,
    items: Sequence[Item],
    prompt_ids: Sequence[list[int]],
    *,
    max_new_tokens: int = 8,
) -> list[Answer]:
    """Answers for ``items`` (in their order) scored in ``mode``."""
    if mode == "letter":
        from .letter import score_letters

        return score_letters(model, builder, items, prompt_ids)
    if mode == "options":
        from .options import score_options

        return score_options(model, builder, items, prompt_ids)
    if mode == "generate":
        from .generate import score_generate

        return score_generate(model, builder, items, prompt_ids, max_new_tokens=max_new_tokens)
    raise InputError(f"mode {mode}: expected one of {', '.join(MODES)}")
