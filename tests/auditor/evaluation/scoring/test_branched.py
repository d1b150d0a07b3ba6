"""Prefix-tree scoring equals the unshared batches on real BBQ prompts, computing less."""

from __future__ import annotations

import types

import pytest

from auditor.core.errors import InputError
from auditor.evaluation.cloze import ClozeBuilder
from auditor.evaluation.orders import orderings, permuted
from auditor.evaluation.prompts import PromptBuilder
from auditor.evaluation.scoring import branched, score_batch
from auditor.evaluation.scoring.batching import plan_batches
from auditor.evaluation.scoring.branched import branchable, use_prefix_tree
from auditor.evaluation.scoring.prefix_tree import Tree, packed_positions, prefix_batches


class Fed:
    """Counts the positions the model's forwards are fed (rows x width, padding included)."""

    def __init__(self, model):
        self.positions = 0
        self.handle = model.register_forward_pre_hook(self, with_kwargs=True)

    def __call__(self, module, args, kwargs):
        self.positions += kwargs["input_ids"].numel()

    def close(self):
        self.handle.remove()


def score_all(mode, model, builder, units, prompts, batch_size, shared, max_new_tokens=8):
    plan = (
        prefix_batches(prompts, batch_size)
        if shared
        else plan_batches([len(p) for p in prompts], batch_size)
    )
    fed = Fed(model)
    try:
        answers = {}
        for b in plan:
            for i, a in zip(
                b,
                score_batch(
                    mode,
                    model,
                    builder,
                    [units[i] for i in b],
                    [prompts[i] for i in b],
                    shared=shared,
                    max_new_tokens=max_new_tokens,
                ),
                strict=True,
            ):
                answers[i] = a
    finally:
        fed.close()
    return [answers[i] for i in range(len(units))], fed.positions, plan


def assert_same(plain, tree, tol=1e-5):
    assert [a.item_id for a in plain] == [a.item_id for a in tree]
    assert [a.predicted for a in plain] == [a.predicted for a in tree]
    assert [a.text for a in plain] == [a.text for a in tree]
    for p, t in zip(plain, tree, strict=True):
        assert len(p.scores) == len(t.scores)
        for x, y in zip(p.scores, t.scores, strict=True):
            assert abs(x - y) <= tol * max(1.0, abs(x)), (p.item_id, x, y)


@pytest.mark.parametrize(
    "mode,orders",
    [
        ("letter", "none"),
        ("letter", "cyclic"),
        ("options", "none"),
        ("options", "all"),
        ("cloze", "none"),
    ],
)
def test_tree_scores_equal_unshared_on_real_items(tiny_model, few_items, mode, orders):
    model = tiny_model.model
    builder = (
        ClozeBuilder(tiny_model.tokenizer)
        if mode == "cloze"
        else PromptBuilder(tiny_model.tokenizer)
    )
    units = [permuted(item, perm) for item in few_items for perm in orderings(orders)]
    prompts = [builder.prompt_ids(u) for u in units]
    plain, fed_plain, _ = score_all(mode, model, builder, units, prompts, 8, shared=False)
    tree, fed_tree, plan = score_all(mode, model, builder, units, prompts, 8, shared=True)
    assert_same(plain, tree)
    if mode == "letter":  # the forward is fed exactly the tree's planned positions
        width = branched.packed_width(model)
        assert fed_tree == sum(packed_positions([prompts[i] for i in b], width) for b in plan)
    assert fed_tree < (0.75 if orders == "none" else 0.5) * fed_plain


def test_tree_and_unshared_scores_are_both_within_fp32_rounding_of_float64(tiny_model, few_items):
    """The independent reference: each item alone through a float64 copy of the model."""
    import copy

    model, builder = tiny_model.model, PromptBuilder(tiny_model.tokenizer)
    units = list(few_items[:16])
    prompts = [builder.prompt_ids(u) for u in units]
    plain, _, _ = score_all("letter", model, builder, units, prompts, 8, shared=False)
    tree, _, _ = score_all("letter", model, builder, units, prompts, 8, shared=True)
    exact = copy.deepcopy(model).double()
    truth = [
        score_batch("letter", exact, builder, [u], [p])[0]
        for u, p in zip(units, prompts, strict=True)
    ]
    for answers in (plain, tree):
        gaps = [
            abs(x - y)
            for a, t in zip(answers, truth, strict=True)
            for x, y in zip(a.scores, t.scores, strict=True)
        ]
        assert len(gaps) == 3 * len(units)
        assert 0 < max(gaps) <= 1e-5, max(gaps)  # rounding, not a second float32 run


def test_generate_continues_the_branched_cache(tiny_model, few_items):
    model, builder = tiny_model.model, PromptBuilder(tiny_model.tokenizer)
    items = list(few_items[:12])
    prompts = [builder.prompt_ids(i) for i in items]
    plain, fed_plain, _ = score_all("generate", model, builder, items, prompts, 6, False, 4)
    tree, fed_tree, plan = score_all("generate", model, builder, items, prompts, 6, True, 4)
    assert_same(plain, tree)
    assert all(a.text is not None for a in tree)
    # the prompts but their last tokens ran as a tree; generate then fed one column a step
    heads = sum(packed_positions([prompts[i][:-1] for i in b]) for b in plan)
    assert fed_tree == heads + sum(len(b) for b in plan) * 4
    assert fed_tree < fed_plain


def test_a_prompt_that_is_a_prefix_of_another_and_duplicates(tiny_model, few_items):
    """Sequences ending inside others' paths, and the same prompt twice, read right."""
    model, builder = tiny_model.model, PromptBuilder(tiny_model.tokenizer)
    item = few_items[0]
    full = builder.prompt_ids(item)
    prompts = [full, full[:-5], full, full[:7]]
    units = [item] * 4
    plain, _, _ = score_all("letter", model, builder, units, prompts, 4, False)
    tree, _, _ = score_all("letter", model, builder, units, prompts, 4, True)
    assert_same(plain, tree)


def test_switch(tiny_model):
    model = tiny_model.model
    assert branchable(model)
    assert not use_prefix_tree("off", model, "letter")
    assert use_prefix_tree("on", model, "generate") and use_prefix_tree("on", model, "letter")
    for mode in ("letter", "options", "cloze"):  # measured faster (docs/performance.md)
        assert use_prefix_tree("auto", model, mode)
    assert not use_prefix_tree("auto", model, "generate")  # its greedy steps are not shared
    config = types.SimpleNamespace(
        is_encoder_decoder=False,
        get_text_config=lambda decoder: types.SimpleNamespace(layer_types=["full_attention"]),
    )
    assert not branchable(types.SimpleNamespace(config=config))  # its logits_to_keep unknown
    recurrent = type(model)(model.config)  # a class whose module slices logits_to_keep
    recurrent.config = types.SimpleNamespace(
        is_encoder_decoder=False,
        get_text_config=lambda decoder: types.SimpleNamespace(layer_types=["mamba"]),
    )
    assert not branchable(recurrent) and not use_prefix_tree("auto", recurrent, "letter")
    with pytest.raises(InputError, match="prefix_cache on: .*--prefix-cache off"):
        use_prefix_tree("on", recurrent, "letter")
    with pytest.raises(InputError, match="prefix_cache 'sometimes'"):
        use_prefix_tree("sometimes", model, "letter")


def naive_mask(seqs, window=None):
    """Brute force over a naive trie: packed token ``q`` sees key ``k`` iff ``k``'s prefix
    (its path up to and including it) is a prefix of ``q``'s, within ``window``."""
    tree = Tree(seqs)
    tokens, positions, first = tree.layout()
    prefixes = []
    for index, node in enumerate(tree.nodes):
        above = [t for n in tree.path(index)[:-1] for t in tree.nodes[n].tokens]
        prefixes.extend(tuple(above + node.tokens[: k + 1]) for k in range(len(node.tokens)))
    return [
        [
            len(pk) <= len(pq)
            and pq[: len(pk)] == pk
            and (window is None or len(pq) - len(pk) < window)
            for pk in prefixes
        ]
        for pq in prefixes
    ]


@pytest.mark.parametrize("seed", range(20))
def test_tree_mask_equals_brute_force(seed):
    import random

    from auditor.evaluation.scoring.branched import tree_mask

    rng = random.Random(seed)
    stems = [[rng.randrange(4) for _ in range(rng.randrange(0, 6))] for _ in range(3)]
    seqs = [
        rng.choice(stems) + [rng.randrange(3) for _ in range(rng.randrange(1, 5))]
        for _ in range(rng.randrange(1, 9))
    ]
    window = rng.choice([None, 2, 3])
    assert tree_mask(Tree(seqs), window).tolist() == naive_mask(seqs, window)


def test_a_sliding_window_binds_only_past_its_width(tiny_model):
    from auditor.evaluation.scoring.branched import sliding_window

    text = tiny_model.model.config.get_text_config(decoder=True)
    saved = (getattr(text, "sliding_window", None), getattr(text, "layer_types", None))
    try:
        text.sliding_window, text.layer_types = 8, None  # every layer slides (Mistral's way)
        assert sliding_window(tiny_model.model, 8) is None
        assert sliding_window(tiny_model.model, 9) == 8
        text.layer_types = ["sliding_attention", "full_attention"]
        with pytest.raises(InputError, match="sliding window .* --prefix-cache off"):
            sliding_window(tiny_model.model, 9)
        text.sliding_window = None
        assert sliding_window(tiny_model.model, 9) is None
    finally:
        text.sliding_window, text.layer_types = saved


def test_eager_attention_takes_the_tree_as_an_additive_mask(tiny_model, few_items):
    model, builder = tiny_model.model, PromptBuilder(tiny_model.tokenizer)
    units = list(few_items[:8])
    prompts = [builder.prompt_ids(u) for u in units]
    plain, _, _ = score_all("letter", model, builder, units, prompts, 8, shared=False)
    model.set_attn_implementation("eager")
    try:
        assert model.config._attn_implementation == "eager" and branchable(model)
        tree, _, _ = score_all("letter", model, builder, units, prompts, 8, shared=True)
    finally:
        model.set_attn_implementation("sdpa")
    assert_same(plain, tree)


@pytest.mark.parametrize("mode", ["letter", "options", "generate"])
def test_a_batch_wider_than_one_packed_forward_runs_as_several(
    tiny_model, few_items, monkeypatch, mode
):
    from auditor.evaluation.scoring import prefix_tree

    model, builder = tiny_model.model, PromptBuilder(tiny_model.tokenizer)
    units = list(few_items[:8])
    prompts = [builder.prompt_ids(u) for u in units]
    plain, _, _ = score_all(mode, model, builder, units, prompts, 8, False, 4)
    narrow = max(map(len, prompts)) + 20
    monkeypatch.setattr(prefix_tree, "PACKED_WIDTH", narrow)
    monkeypatch.setattr(prefix_tree, "BLOCK_PACKED_WIDTH", narrow)  # the width CPU runs
    assert branched.packed_width(model) == narrow
    assert len(prefix_tree.packed_groups(prompts, narrow)) > 2
    tree, _, _ = score_all(mode, model, builder, units, prompts, 8, True, 4)
    assert_same(plain, tree)


def test_packed_trees_are_wider_only_where_attention_runs_in_blocks(tiny_model, monkeypatch):
    from auditor.evaluation.scoring import prefix_tree

    model = tiny_model.model
    assert branched.runs_in_blocks(model)  # CPU, sdpa
    assert branched.packed_width(model) == prefix_tree.BLOCK_PACKED_WIDTH
    assert prefix_tree.BLOCK_PACKED_WIDTH > prefix_tree.PACKED_WIDTH
    monkeypatch.setattr(branched, "BLOCK_ATTENTION", False)
    assert branched.packed_width(model) == prefix_tree.PACKED_WIDTH
    monkeypatch.setattr(branched, "BLOCK_ATTENTION", True)
    model.set_attn_implementation("eager")  # a dense mask: its attention grows with the square
    try:
        assert not branched.runs_in_blocks(model)
        assert branched.packed_width(model) == prefix_tree.PACKED_WIDTH
    finally:
        model.set_attn_implementation("sdpa")
