"""Option-order rotation: every item scored with its options in several orders.

An ordering is a permutation ``perm`` of an item's option indices: position ``p`` (the
letter A, B or C) shows option ``perm[p]``. Letters move; option texts and their roles
stay with their options. ``cyclic`` gives the 3 rotations, ``all`` the 6 permutations,
``none`` the item's own order only. Every ordering's answer is mapped back to the item's
own option indices; an item's aggregated answer is the argmax of its per-option scores
averaged over its orderings.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import replace

from auditor.core.answers import Answer
from auditor.core.choices import ORDERS
from auditor.core.errors import InputError
from auditor.core.items import Item, Roles
from auditor.evaluation import scoring

IDENTITY: tuple[int, ...] = (0, 1, 2)
COST = {"none": 1, "cyclic": 3, "all": 6}
"""How many times each item is scored."""


def orderings(orders: str) -> tuple[tuple[int, ...], ...]:
    """The permutations an ``orders`` setting scores, the item's own order first."""
    if orders == "none":
        return (IDENTITY,)
    if orders == "cyclic":
        return tuple(IDENTITY[i:] + IDENTITY[:i] for i in range(3))
    if orders == "all":
        return tuple(itertools.permutations(IDENTITY))
    raise InputError(f"orders {orders!r}: expected one of {', '.join(ORDERS)}")


def order_key(perm: Sequence[int]) -> str:
    """The stored name of an ordering: the option indices at A, B, C ('120')."""
    return "".join(str(k) for k in perm)


def parse_order(key: str) -> tuple[int, ...]:
    perm = tuple(int(ch) for ch in key)
    if sorted(perm) != list(IDENTITY):
        raise InputError(f"stored ordering {key!r} is not a permutation of 012")
    return perm


def permuted(item: Item, perm: Sequence[int]) -> Item:
    """``item`` as shown in ordering ``perm``: option ``perm[p]`` at position ``p``, its
    label, unknown option and roles moved with it. The id stays."""
    if tuple(perm) == IDENTITY:
        return item
    at = {option: position for position, option in enumerate(perm)}
    roles = item.roles
    if roles is not None:
        roles = Roles(at[roles.biased], at[roles.anti_biased], at[roles.unknown])
    first, second, third = (item.options[k] for k in perm)
    return replace(
        item,
        options=(first, second, third),
        label=at[item.label],
        unknown_index=at[item.unknown_index],
        roles=roles,
    )


def to_item_order(answer: Answer, perm: Sequence[int]) -> Answer:
    """An answer given in ordering ``perm``, with its prediction and each block of three
    per-position scores moved back to the item's own option indices."""
    predicted = None if answer.predicted is None else perm[answer.predicted]
    scores = list(answer.scores)
    if len(scores) % 3:
        raise ValueError(f"answer for {answer.item_id}: {len(scores)} scores, not 3 a block")
    back = scores[:]
    for start in range(0, len(scores), 3):
        for position, option in enumerate(perm):
            back[start + option] = scores[start + position]
    return replace(answer, predicted=predicted, scores=tuple(back))


def aggregate(item_id: str, by_order: Mapping[str, Answer]) -> Answer:
    """The item's aggregated answer: scores averaged over its orderings (in item order),
    predicting the option with the highest mean of the first three (the per-option
    log-probability, or its per-token mean in options mode)."""
    answers = list(by_order.values())
    if not answers or any(not a.scores for a in answers):
        raise ValueError(f"item {item_id}: no scores to aggregate")
    width = {len(a.scores) for a in answers}
    if len(width) != 1:
        raise ValueError(f"item {item_id}: orderings stored different numbers of scores")
    mean = tuple(sum(col) / len(answers) for col in zip(*(a.scores for a in answers), strict=True))
    best = max(range(3), key=lambda k: (mean[k], -k))
    return Answer(item_id, best, mean)


def check_orders(orders: str, mode: str) -> None:
    """Refuse a rotation the scoring mode cannot do (one line, naming the flag)."""
    orderings(orders)  # an unknown setting is an InputError
    if orders == "none":
        return
    why = scoring.get(mode).no_rotation
    if why:
        raise InputError(f"--orders {orders}: {why}")
