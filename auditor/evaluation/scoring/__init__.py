"""Scoring a batch of BBQ items with a loaded model, in one of four modes.

``letter``: one forward, log-probs of the letters A/B/C. ``options``: log-likelihood of
each option's text (prompt cache shared). ``generate``: greedy answer text, parsed.
``cloze``: the options scorer on a prompt that lists no options (see ``cloze``).
Each mode can run a batch as a prefix tree (``prefix_tree``, ``branched``).
"""

from __future__ import annotations

from collections.abc import Sequence

from auditor.core.answers import Answer
from auditor.core.choices import EVAL_MODES as MODES  # re-exported: every scoring mode
from auditor.core.errors import InputError
from auditor.core.items import Item


def score_batch(
    mode: str,
    model,
    builder,
    items: Sequence[Item],
    prompt_ids: Sequence[list[int]],
    *,
    max_new_tokens: int = 8,
    shared: bool = False,
) -> list[Answer]:
    """Answers for ``items`` (in their order) scored in ``mode``; ``shared`` runs the
    batch's prompts as a prefix tree, each shared prefix once (same answers)."""
    if mode == "letter":
        from auditor.evaluation.scoring.letter import score_letters, score_letters_shared

        return (score_letters_shared if shared else score_letters)(model, builder, items,
                                                                   prompt_ids)
    if mode in ("options", "cloze"):  # the builder decides what the prompt shows
        from auditor.evaluation.scoring.options import score_options

        return score_options(model, builder, items, prompt_ids, shared=shared)
    if mode == "generate":
        from auditor.evaluation.scoring.generate import score_generate

        return score_generate(model, builder, items, prompt_ids, max_new_tokens=max_new_tokens,
                              shared=shared)
    raise InputError(f"mode {mode}: expected one of {', '.join(MODES)}")
