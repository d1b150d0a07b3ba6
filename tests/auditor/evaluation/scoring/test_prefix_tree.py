"""The prefix tree of token sequences, checked against a naive token trie and brute force."""

from __future__ import annotations

import random

import pytest

from auditor.evaluation.prompts import PromptBuilder
from auditor.evaluation.scoring.batching import plan_batches
from auditor.evaluation.scoring.prefix_tree import (
    Tree,
    common_prefix,
    packed_groups,
    packed_positions,
    padded_positions,
    prefix_batches,
    tree_positions,
    unique_tokens,
)


def naive_trie_nodes(seqs) -> int:
    """Tokens of a dict-of-dicts trie: one node per distinct (prefix, token)."""
    root: dict = {}
    count = 0
    for seq in seqs:
        node = root
        for token in seq:
            if token not in node:
                node[token] = {}
                count += 1
            node = node[token]
    return count


def path(tree: Tree, node: int) -> list[int]:
    parts = []
    while node is not None:
        parts.append(tree.nodes[node].tokens)
        node = tree.nodes[node].parent
    return [t for part in reversed(parts) for t in part]


def random_seqs(rng: random.Random, n: int) -> list[list[int]]:
    stems = [[rng.randrange(5) for _ in range(rng.randrange(0, 6))] for _ in range(4)]
    return [
        rng.choice(stems) + [rng.randrange(4) for _ in range(rng.randrange(0, 5))] for _ in range(n)
    ]


@pytest.mark.parametrize("seed", range(30))
def test_tree_holds_every_sequence_once_and_nothing_else(seed):
    rng = random.Random(seed)
    seqs = random_seqs(rng, rng.randrange(1, 12))
    tree = Tree(seqs)
    for i, seq in enumerate(seqs):
        assert path(tree, tree.ends[i]) == seq
        for position in range(len(seq)):
            node, offset = tree.locate(i, position)
            start = tree.nodes[node].start
            assert start + offset == position and tree.nodes[node].tokens[offset] == seq[position]
            assert path(tree, node)[: position + 1] == seq[: position + 1]
    # every token computed is a distinct prefix: exactly the naive trie's nodes
    assert sum(len(n.tokens) for n in tree.nodes) == naive_trie_nodes(seqs) == unique_tokens(seqs)
    for index, node in enumerate(tree.nodes):
        if node.parent is not None:
            assert node.tokens and node.parent < index  # a parent is built before its children
            assert node.start == tree.nodes[node.parent].start + len(tree.nodes[node.parent].tokens)


@pytest.mark.parametrize("seed", range(30))
def test_layout_packs_every_edge_once_parents_first(seed):
    rng = random.Random(seed)
    seqs = random_seqs(rng, rng.randrange(1, 12))
    tree = Tree(seqs)
    tokens, positions, first = tree.layout()
    assert len(tokens) == len(positions) == tree.positions() == unique_tokens(seqs)
    for index, node in enumerate(tree.nodes):
        span = slice(first[index], first[index] + len(node.tokens))
        assert tokens[span] == node.tokens
        assert positions[span] == list(range(node.start, node.start + len(node.tokens)))
        if node.parent is not None:  # a parent's tokens come before its children's
            assert first[node.parent] + len(tree.nodes[node.parent].tokens) <= first[index]
    for i, seq in enumerate(seqs):  # a sequence's path, read off the layout, is itself
        read = [
            tokens[first[n] + k]
            for n in tree.path(tree.ends[i])
            for k in range(len(tree.nodes[n].tokens))
        ]
        assert read == seq


def test_common_prefix():
    assert common_prefix([1, 2, 3], [1, 2, 4]) == 2
    assert common_prefix([1, 2], [1, 2, 3]) == 2
    assert common_prefix([], [1]) == 0


def test_prefix_batches_sort_by_tokens_and_keep_plan_batches_sizes():
    seqs = [[3, 1], [1, 2, 3], [3, 1], [1, 2], [2], [1, 2, 9]]
    batches = prefix_batches(seqs, 4)
    assert batches == [[3, 1, 5, 4], [0, 2]]  # ties (the two [3, 1]) in input order
    assert [len(b) for b in batches] == [len(b) for b in plan_batches([len(s) for s in seqs], 4)]
    with pytest.raises(ValueError):
        prefix_batches(seqs, 0)


def test_real_prompts_share_their_chat_opening_contexts_and_orderings(tiny_model, few_items):
    from auditor.evaluation.orders import orderings, permuted

    builder = PromptBuilder(tiny_model.tokenizer)
    units = [permuted(item, perm) for item in few_items for perm in orderings("cyclic")]
    prompts = [builder.prompt_ids(u) for u in units]
    batches = prefix_batches(prompts, 12)
    flat = [units[i].id for b in batches for i in b]
    for item in few_items:  # the three orderings of an item are neighbours
        at = [k for k, i in enumerate(flat) if i == item.id]
        assert at == list(range(at[0], at[0] + 3))
    plain = padded_positions(prompts, plan_batches([len(p) for p in prompts], 12))
    tree = tree_positions(prompts, batches)
    assert unique_tokens(prompts) <= tree < 0.6 * plain
    assert min(common_prefix(prompts[0], p) for p in prompts) > 10  # the chat opening


@pytest.mark.parametrize("seed", range(30))
def test_packed_groups_cut_the_token_order_where_a_group_would_outgrow_its_width(seed):
    rng = random.Random(seed)
    seqs = random_seqs(rng, rng.randrange(1, 14))
    width = rng.choice([1, 4, 8, 100])
    groups = packed_groups(seqs, width)
    order = sorted(range(len(seqs)), key=lambda i: (seqs[i], i))
    assert [i for g in groups for i in g] == order  # every sequence once, in token order
    for g, nxt in zip(groups, [*groups[1:], None], strict=True):
        size = unique_tokens([seqs[i] for i in g])
        assert size <= width or len(g) == 1
        if nxt is not None:  # closed only where the next one would not fit
            assert unique_tokens([seqs[i] for i in (*g, nxt[0])]) > width
    assert packed_positions(seqs, width) == sum(unique_tokens([seqs[i] for i in g]) for g in groups)
