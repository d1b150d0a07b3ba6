"""Prompts grouped by shared token prefix: the batch plan and the radix tree a batch runs as.

Token-level only (no torch): ``prefix_batches`` plans batches so that prompts sharing a
prefix (the chat template's opening, a template instance's context, an item's orderings)
are neighbours, in one batch unless a batch boundary falls inside them; ``Tree`` is one
batch's prompts as a radix tree whose edges are run once, packed into one forward (see
``branched``); ``tree_positions`` and ``padded_positions`` count the positions a batch feeds the model with and without the
tree, padding included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of ``a`` and ``b``."""
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def prefix_batches(seqs: Sequence[Sequence[int]], batch_size: int) -> list[list[int]]:
    """Indices in batches of ``batch_size`` (the last may be smaller), prompts sharing
    prefixes together: sorted by their token ids, every shared prefix is a run of
    neighbours. As many batches, of the same sizes, as ``plan_batches`` makes; ties keep
    input order, so the plan is deterministic.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = sorted(range(len(seqs)), key=lambda i: (tuple(seqs[i]), i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


@dataclass
class Node:
    """One edge of the tree: ``tokens`` continue the parent's path, whose length is
    ``start`` (the root has no parent and starts at 0)."""

    tokens: list[int]
    parent: int | None
    start: int


class Tree:
    """The radix tree of ``seqs``: every sequence ends at a node (``ends[i]``); a position
    ``p`` of sequence ``i`` lies on one node's edge (``locate``)."""

    def __init__(self, seqs: Sequence[Sequence[int]]):
        self.seqs = [list(s) for s in seqs]
        self.nodes: list[Node] = []
        self.ends: list[int] = [0] * len(seqs)
        order = sorted(range(len(seqs)), key=lambda i: (self.seqs[i], i))
        self._build(order, 0, None)

    def _build(self, order: list[int], depth: int, parent: int | None) -> None:
        seqs = self.seqs
        first, last = seqs[order[0]], seqs[order[-1]]
        shared = common_prefix(first, last)  # sorted: the first and last bound everyone
        node = len(self.nodes)
        self.nodes.append(Node(first[depth:shared], parent, depth))
        rest = []
        for i in order:
            if len(seqs[i]) == shared:
                self.ends[i] = node
            else:
                rest.append(i)
        group: list[int] = []
        for i in rest:  # runs of the same next token, in sorted order
            if group and seqs[group[0]][shared] != seqs[i][shared]:
                self._build(group, shared, node)
                group = []
            group.append(i)
        if group:
            self._build(group, shared, node)

    def locate(self, seq: int, position: int) -> tuple[int, int]:
        """The node whose edge holds ``position`` of sequence ``seq``, and its offset there."""
        if not 0 <= position < len(self.seqs[seq]):
            raise IndexError(f"position {position} outside sequence {seq}")
        node = self.ends[seq]
        while self.nodes[node].start > position:
            parent = self.nodes[node].parent
            assert parent is not None  # the root starts at 0
            node = parent
        return node, position - self.nodes[node].start

    def layout(self) -> tuple[list[int], list[int], list[int]]:
        """The tree as one packed sequence: every edge's tokens once, node by node (a
        parent before its children), their position ids (each token's depth on its own
        path) and the packed index of each node's first token."""
        tokens: list[int] = []
        positions: list[int] = []
        first: list[int] = []
        for node in self.nodes:
            first.append(len(tokens))
            tokens.extend(node.tokens)
            positions.extend(range(node.start, node.start + len(node.tokens)))
        return tokens, positions, first

    def path(self, node: int) -> list[int]:
        """The nodes from the root down to ``node``, in order."""
        out = [node]
        while (parent := self.nodes[out[-1]].parent) is not None:
            out.append(parent)
        return out[::-1]

    def positions(self) -> int:
        """Positions the branched forward feeds the model: every edge's tokens once."""
        return sum(len(node.tokens) for node in self.nodes)


PACKED_WIDTH = 768
"""The most tokens one packed forward holds where its sequences can be split: its mask is
dense, so attention grows with the width's square (see ``packed_groups``)."""
BLOCK_PACKED_WIDTH = 2560
"""The same where the attention runs block by block (``branched.runs_in_blocks``): a
block meets only the keys of its own paths, so only the boolean mask grows with the
width's square; wider trees share more and run fewer forwards."""


def packed_groups(seqs: Sequence[Sequence[int]], width: int | None = None) -> list[list[int]]:
    """Indices of ``seqs`` in groups run as one packed tree each: in token order, a group
    closed where the next sequence's new tokens (beyond its prefix shared with the one
    before) would take the group past ``width`` tokens (default ``PACKED_WIDTH``). A
    longer sequence is a group of its own."""
    width = PACKED_WIDTH if width is None else width
    order = sorted(range(len(seqs)), key=lambda i: (tuple(seqs[i]), i))
    groups: list[list[int]] = []
    size = 0
    for i in order:
        new = len(seqs[i]) - (common_prefix(seqs[i], seqs[groups[-1][-1]]) if groups else 0)
        if groups and size + new <= width:
            groups[-1].append(i)
            size += new
        else:
            groups.append([i])
            size = len(seqs[i])
    return groups


def packed_positions(seqs: Sequence[Sequence[int]], width: int | None = None) -> int:
    """Positions the packed forwards of ``seqs`` (one batch) feed the model."""
    return sum(Tree([seqs[i] for i in g]).positions() for g in packed_groups(seqs, width))


def tree_positions(seqs: Sequence[Sequence[int]], batches: Sequence[Sequence[int]]) -> int:
    """Positions computed with the prefix tree over ``batches`` of ``seqs``."""
    return sum(packed_positions([seqs[i] for i in b]) for b in batches)


def padded_positions(seqs: Sequence[Sequence[int]], batches: Sequence[Sequence[int]]) -> int:
    """Positions computed without it: each batch left-padded to its longest prompt."""
    return sum(len(b) * max(len(seqs[i]) for i in b) for b in batches)


def unique_tokens(seqs: Sequence[Sequence[int]]) -> int:
    """Tokens of ``seqs`` no other sequence already holds as a prefix (the nodes of their
    token trie): the least any prefix sharing can compute."""
    ordered = sorted(tuple(s) for s in seqs)
    return sum(
        len(s) - (common_prefix(s, ordered[i - 1]) if i else 0) for i, s in enumerate(ordered)
    )
