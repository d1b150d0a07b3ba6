"""Preference pairs built from real BBQ-lite Gender_identity rows with the real prompt builder."""

from __future__ import annotations

from collections import Counter

import pytest

from auditor.align.preferences import (
    build_pairs,
    is_trans_item,
    rejected_indices,
    select_items,
    strip_duplicate_bos,
    to_dataset,
)
from auditor.core.errors import InputError
from auditor.core.items import BIASED, UNKNOWN
from auditor.evaluation.prompts import PromptBuilder

TRANS_TEMPLATES = {"10", "11", "12", "35", "36"}


@pytest.fixture(scope="module")
def gender(lite_items):
    return [i for i in lite_items if i.attribute == "Gender_identity"]


@pytest.fixture(scope="module")
def builder(tiny_llama_dir):  # SmolLM2's tokenizer
    from auditor.models.loading import load_tokenizer

    return PromptBuilder(load_tokenizer(tiny_llama_dir))


def test_select_keeps_only_targets_and_both_contexts_polarities(lite_items):
    kept, excluded = select_items(lite_items, ("Gender_identity", "Religion"))
    assert excluded == []
    assert Counter(i.attribute for i in kept) == {"Gender_identity": 3344, "Religion": 680}
    cells = {(i.context_condition, i.polarity) for i in kept}
    assert cells == {
        ("ambig", "neg"),
        ("ambig", "nonneg"),
        ("disambig", "neg"),
        ("disambig", "nonneg"),
    }


def test_exclude_trans_removes_the_transgender_templates(gender):
    kept, excluded = select_items(gender, exclude_trans=True)
    assert len(excluded) == 608 and len(kept) == 3344 - 608
    assert {i.question_index for i in excluded} == TRANS_TEMPLATES
    assert not any(is_trans_item(i) for i in kept)
    assert all(any("trans" in g.lower() for g in i.stereotyped_groups) for i in excluded), (
        "every excluded item names a trans stereotyped group"
    )


def test_exclude_by_subcategory_and_template(gender):
    _, by_sub = select_items(gender, exclude_subcategories=["ADULT"])
    assert len(by_sub) == 80 and {i.subcategory for i in by_sub} == {"adult"}
    _, by_tpl = select_items(gender, exclude_templates=["Gender_identity:1", "2"])
    assert {i.question_index for i in by_tpl} == {"1", "2"} and len(by_tpl) == 16


def test_unknown_target_and_empty_selection_are_input_errors(gender):
    with pytest.raises(InputError, match="unknown target attribute Gender"):
        select_items(gender, ("Gender",))
    with pytest.raises(InputError, match="no training items"):
        select_items(gender, ("Age",))


def test_all_wrong_gives_two_pairs_per_item_chosen_is_the_label(gender, builder):
    items = gender[:40]
    pairs = build_pairs(items, builder, rejected="all_wrong")
    assert len(pairs) == 2 * len(items)
    by_item = {i.id: i for i in items}
    for pair in pairs:
        item = by_item[pair.item_id]
        assert pair.chosen_index == item.label != pair.rejected_index
        assert pair.prompt == builder.prompt(item)
        assert pair.chosen == builder.completion(item, item.label)
        assert pair.rejected == builder.completion(item, pair.rejected_index)
        assert item.options[item.label].text.strip() in pair.chosen
    per_item = Counter(p.item_id for p in pairs)
    assert set(per_item.values()) == {2}


def test_biased_mode_rejects_the_stereotyped_answer(gender, builder):
    pairs = build_pairs(gender, builder, rejected="biased")
    by_item = {i.id: i for i in gender}
    assert len({p.item_id for p in pairs}) == len(pairs)  # one pair per item
    seen = Counter()
    for pair in pairs:
        item = by_item[pair.item_id]
        role = item.role_of(pair.rejected_index)
        if item.is_ambiguous or item.roles.biased != item.label:
            assert role == BIASED
            seen["biased"] += 1
        else:  # the context confirms the stereotype: reject "can't tell" instead
            assert role == UNKNOWN and item.role_of(item.label) == BIASED
            seen["unknown"] += 1
    skipped = [i for i in gender if i.roles is None]
    assert len(pairs) == len(gender) - len(skipped)
    assert seen["biased"] > 0 and seen["unknown"] > 0
    assert all(rejected_indices(i, "biased") == () for i in skipped)


def test_bad_rejected_mode(gender):
    with pytest.raises(InputError, match="rejected must be one of"):
        rejected_indices(gender[0], "worst")


def test_dataset_is_trl_standard_format(gender, builder):
    from trl.data_utils import is_conversational

    pairs = build_pairs(gender[:4], builder)
    ds = to_dataset(pairs, builder.tokenizer)
    assert ds.column_names == ["prompt", "chosen", "rejected"]
    assert len(ds) == 8 and not is_conversational(ds[0])
    assert ds[0]["prompt"] == pairs[0].prompt  # SmolLM2 adds no BOS: nothing stripped


def test_bos_is_stripped_only_when_the_tokenizer_adds_it(smollm2_tokenizer_dir, gender):
    from transformers import AutoTokenizer

    plain = AutoTokenizer.from_pretrained(smollm2_tokenizer_dir)
    with_bos = AutoTokenizer.from_pretrained(smollm2_tokenizer_dir, add_bos_token=True)
    prompt = PromptBuilder(plain).prompt(gender[0])
    assert prompt.startswith(plain.bos_token)
    assert strip_duplicate_bos(prompt, plain) == prompt
    stripped = strip_duplicate_bos(prompt, with_bos)
    assert with_bos(stripped)["input_ids"] == plain(prompt, add_special_tokens=False)["input_ids"]
