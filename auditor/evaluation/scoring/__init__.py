"""Scoring a batch of BBQ items with a loaded model, in one of four modes.

``letter``: one forward, log-probs of the letters A/B/C. ``options``: log-likelihood of
each option's text (prompt cache shared). ``generate``: greedy answer text, parsed.
``cloze``: the options scorer on a prompt that lists no options (see ``cloze``).
Each mode can run a batch as a prefix tree (``prefix_tree``, ``branched``).

``MODES`` is the registry: a mode carries its prompt builder, its scorer and what the rest
of the evaluation asks of it; a new mode is one entry here (and its name in
``auditor.core.choices.EVAL_MODES``, which the CLI offers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.core.items import Item


@dataclass(frozen=True)
class Mode:
    """One scoring mode: how its prompts are built and its answers scored."""

    name: str
    builder: Callable[[Any, str], Any]  # (tokenizer, prompt_style) -> a prompt builder
    scorer: Callable[..., list[Answer]]  # (model, builder, items, prompt_ids, *, ...)
    prefix_tree_auto: bool  # whether prefix_cache "auto" runs it as a prefix tree
    generates: bool = False  # decodes text: max_new_tokens is part of its run key
    no_rotation: str = ""  # why option orders cannot be rotated, and what to use ("": they can)


def _chat_builder(tokenizer, prompt_style: str):
    from auditor.evaluation.prompts import PromptBuilder

    return PromptBuilder(tokenizer, prompt_style)


def _cloze_builder(tokenizer, prompt_style: str):
    from auditor.evaluation.cloze import ClozeBuilder

    return ClozeBuilder(tokenizer)


def _letters(model, builder, items, prompt_ids, *, max_new_tokens: int, shared: bool):
    from auditor.evaluation.scoring.letter import score_letters, score_letters_shared

    return (score_letters_shared if shared else score_letters)(model, builder, items, prompt_ids)


def _options(model, builder, items, prompt_ids, *, max_new_tokens: int, shared: bool):
    from auditor.evaluation.scoring.options import score_options

    return score_options(model, builder, items, prompt_ids, shared=shared)


def _generate(model, builder, items, prompt_ids, *, max_new_tokens: int, shared: bool):
    from auditor.evaluation.scoring.generate import score_generate

    return score_generate(
        model, builder, items, prompt_ids, max_new_tokens=max_new_tokens, shared=shared
    )


# prefix_tree_auto: the modes benchmarks/bench_scoring.py measured faster as a prefix tree
# (docs/performance.md): letter, options and cloze, whose forwards are the prompts
# themselves; not generate, whose greedy steps the tree does not share (the same time).
MODES: dict[str, Mode] = {m.name: m for m in (
    Mode("letter", _chat_builder, _letters, prefix_tree_auto=True),
    Mode("options", _chat_builder, _options, prefix_tree_auto=True),
    Mode("generate", _chat_builder, _generate, prefix_tree_auto=False, generates=True,
         no_rotation="generate mode cannot be rotated (its answers are parsed text, "
                     "without a score per option); use --mode letter or options, or --orders none"),
    Mode("cloze", _cloze_builder, _options, prefix_tree_auto=True,
         no_rotation="cloze mode lists no options, so there is no order to rotate; use "
                     "--orders none"),
)}  # fmt: skip
"""Every scoring mode, in ``EVAL_MODES`` order (the builder decides what a prompt shows:
``options`` and ``cloze`` share a scorer)."""


def get(mode: str) -> Mode:
    """The registered mode ``mode``; an unknown name is an input error."""
    try:
        return MODES[mode]
    except KeyError:
        raise InputError(f"mode {mode}: expected one of {', '.join(MODES)}") from None


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
    return get(mode).scorer(
        model, builder, items, prompt_ids, max_new_tokens=max_new_tokens, shared=shared
    )
