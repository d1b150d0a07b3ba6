"""Leak-free train / held-out splits: whole template instances go to one side.

The four items of a BBQ template instance (ambig/disambig x neg/nonneg) share their
context and answers, so training on one and evaluating another would leak. Items are
grouped by ``Item.template``; groups are shuffled with a seeded RNG (independent of input
order) and held out per attribute until the held-out share reaches the fraction.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from auditor.core.errors import InputError
from auditor.core.items import Item


@dataclass(frozen=True, slots=True)
class TargetSplit:
    """The target attributes' items after the settings' exclusions, split leak-free: what
    alignment trains on, what the audit evaluates the target on, and what was left out.
    Planned once (by the audit, or by ``align`` on its own) and handed on."""

    train: tuple[Item, ...]
    heldout: tuple[Item, ...]
    excluded: tuple[Item, ...]

    @property
    def heldout_ids(self) -> frozenset[str]:
        return frozenset(i.id for i in self.heldout)


def split_target(items: Iterable[Item], settings) -> TargetSplit:
    """Select the target's items under ``settings`` (an ``AlignSettings``) and split them."""
    from auditor.align.preferences import select_items

    kept, excluded = select_items(
        items,
        settings.target,
        exclude_subcategories=settings.exclude_subcategories,
        exclude_templates=settings.exclude_templates,
        exclude_trans=settings.exclude_trans,
    )
    split = split_items(kept, heldout_fraction=settings.heldout_fraction, seed=settings.seed)
    return TargetSplit(split.train, split.heldout, tuple(excluded))


@dataclass(frozen=True, slots=True)
class Split:
    """Training and held-out items; no template instance is on both sides."""

    train: tuple[Item, ...]
    heldout: tuple[Item, ...]

    @property
    def train_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.train)

    @property
    def heldout_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.heldout)


def _groups(items: Iterable[Item]) -> dict[str, list[Item]]:
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        groups[item.template].append(item)
    return groups


def _shuffled_keys(groups: dict[str, list[Item]], rng: random.Random) -> list[str]:
    keys = sorted(groups)
    rng.shuffle(keys)
    return keys


def split_items(items: Iterable[Item], *, heldout_fraction: float = 0.2, seed: int = 0) -> Split:
    """Hold out about ``heldout_fraction`` of each attribute's items, whole templates at a time."""
    if not 0.0 < heldout_fraction < 1.0:
        raise InputError(f"heldout_fraction must be between 0 and 1, got {heldout_fraction}")
    by_attribute: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_attribute[item.attribute].append(item)
    train: list[Item] = []
    heldout: list[Item] = []
    for attribute in sorted(by_attribute):
        groups = _groups(by_attribute[attribute])
        rng = random.Random(f"{seed}:{attribute}")
        goal = heldout_fraction * len(by_attribute[attribute])
        taken = 0
        for key in _shuffled_keys(groups, rng):
            # a group goes to held-out while that brings the count closer to the goal
            size = len(groups[key])
            if abs(taken + size - goal) < abs(taken - goal):
                heldout.extend(groups[key])
                taken += size
            else:
                train.extend(groups[key])
    if not train:
        raise InputError("the split left no training items; lower heldout_fraction")
    return Split(tuple(sorted(train, key=_order)), tuple(sorted(heldout, key=_order)))


def sample_groups(items: Iterable[Item], n: int, *, seed: int = 0) -> list[Item]:
    """At most ``n`` items (0 = all), drawn as whole template instances with a seeded RNG."""
    items = list(items)
    if n <= 0 or n >= len(items):
        return items
    groups = _groups(items)
    chosen: list[Item] = []
    for key in _shuffled_keys(groups, random.Random(f"{seed}:sample")):
        if len(chosen) + len(groups[key]) > n and chosen:
            continue
        chosen.extend(groups[key])
        if len(chosen) >= n:
            break
    return sorted(chosen, key=_order)


def _order(item: Item) -> tuple[str, int]:
    return (item.attribute, item.example_id)
