"""The registry of scoring modes (``auditor.evaluation.scoring.MODES``): every mode the CLI
offers is registered, and each entry routes to its own builder and scorer, checked against
the scorer modules called directly on real BBQ items and a tiny real model."""

from __future__ import annotations

import pytest

from auditor.core.choices import EVAL_MODES
from auditor.core.errors import InputError
from auditor.evaluation import scoring
from auditor.evaluation.cloze import ClozeBuilder
from auditor.evaluation.orders import check_orders
from auditor.evaluation.prompts import PromptBuilder
from auditor.evaluation.scoring.generate import score_generate
from auditor.evaluation.scoring.letter import score_letters, score_letters_shared
from auditor.evaluation.scoring.options import score_options


def test_every_offered_mode_is_registered_under_its_name():
    assert tuple(scoring.MODES) == EVAL_MODES
    assert all(mode.name == name for name, mode in scoring.MODES.items())


def test_an_unknown_mode_is_a_one_line_input_error():
    with pytest.raises(InputError, match="^mode logits: expected one of letter, options, "
                                         "generate, cloze$"):  # fmt: skip
        scoring.get("logits")


def direct(mode, model, builder, items, prompt_ids, shared):
    """The answers of ``mode`` computed without the registry."""
    if mode == "letter":
        return (score_letters_shared if shared else score_letters)(
            model, builder, items, prompt_ids
        )
    if mode == "generate":
        return score_generate(model, builder, items, prompt_ids, max_new_tokens=4, shared=shared)
    return score_options(model, builder, items, prompt_ids, shared=shared)


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("mode", EVAL_MODES)
def test_each_mode_builds_its_prompts_and_scores_with_its_scorer(
    tiny_model, few_items, mode, shared
):
    entry = scoring.get(mode)
    builder = entry.builder(tiny_model.tokenizer, "auto")
    assert type(builder) is (ClozeBuilder if mode == "cloze" else PromptBuilder)
    items = list(few_items[:6])
    prompt_ids = [builder.prompt_ids(i) for i in items]
    got = scoring.score_batch(mode, tiny_model.model, builder, items, prompt_ids,
                              max_new_tokens=4, shared=shared)  # fmt: skip
    want = direct(mode, tiny_model.model, builder, items, prompt_ids, shared)
    assert [(a.item_id, a.predicted, a.scores, a.text) for a in got] == [
        (a.item_id, a.predicted, a.scores, a.text) for a in want
    ]


def test_the_modes_rules_are_those_the_evaluation_applied_by_name():
    assert [m for m in EVAL_MODES if scoring.get(m).generates] == ["generate"]
    assert [m for m in EVAL_MODES if scoring.get(m).prefix_tree_auto] == [
        "letter",
        "options",
        "cloze",
    ]
    for mode in ("letter", "options"):
        check_orders("cyclic", mode)  # rotatable: no error
    with pytest.raises(
        InputError,
        match=r"^--orders all: generate mode cannot be rotated .*"
        r"use --mode letter or options, or --orders none$",
    ):
        check_orders("all", "generate")
    with pytest.raises(
        InputError,
        match="^--orders cyclic: cloze mode lists no options, so "
        "there is no order to rotate; use --orders none$",
    ):
        check_orders("cyclic", "cloze")
