"""Seeded, stratified samples of BBQ that keep template instances whole.

The unit drawn is the template instance (`Item.template`): its items cover the four
cells ambig/disambig × neg/nonneg, so drawing instances evenly per attribute keeps
every attribute × context × polarity cell balanced.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from auditor.core.errors import InputError
from auditor.core.items import CATEGORIES, Item


def instances(items: Iterable[Item]) -> dict[str, list[Item]]:
    """Items grouped by template instance, in first-seen order."""
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        groups[item.template].append(item)
    return dict(groups)


def sample(
    items: Sequence[Item],
    n: int | None = None,
    per_cell: int | None = None,
    seed: int = 0,
    attributes: Iterable[str] | None = None,
) -> tuple[Item, ...]:
    """A seeded sample of whole template instances, stratified by attribute.

    ``per_cell`` caps the items in each attribute × context × polarity cell; ``n``
    caps the total, shared evenly across attributes (an attribute with too few
    instances hands its share on). Neither: every item. The result keeps the input
    order; the same items and seed give the same sample.
    """
    for name, value in (("n", n), ("per_cell", per_cell)):
        if value is not None and value < 1:
            raise InputError(f"sample size {name}={value}: must be at least 1")
    chosen_attrs = None if attributes is None else set(attributes)
    pool = [i for i in items if chosen_attrs is None or i.attribute in chosen_attrs]
    if n is None and per_cell is None:
        return tuple(pool)

    by_attr: dict[str, list[list[Item]]] = defaultdict(list)
    for _key, group in sorted(instances(pool).items()):
        by_attr[group[0].attribute].append(group)
    order = sorted(by_attr, key=lambda a: (CATEGORIES.index(a) if a in CATEGORIES else 99, a))
    for attr in order:
        random.Random(f"{seed}:{attr}").shuffle(by_attr[attr])

    budgets = _budgets(order, by_attr, n, per_cell, seed)
    picked: set[str] = set()
    for attr in order:
        picked.update(_take(by_attr[attr], budgets[attr], per_cell))
    return tuple(i for i in pool if i.id in picked)


def _budgets(
    order: list[str],
    by_attr: dict[str, list[list[Item]]],
    n: int | None,
    per_cell: int | None,
    seed: int,
) -> dict[str, int]:
    """Items allowed per attribute: ``n`` shared evenly, within each attribute's supply."""
    supply = {a: sum(len(g) for g in by_attr[a]) for a in order}
    if per_cell is not None:
        supply = {a: min(s, 4 * per_cell) for a, s in supply.items()}
    if n is None:
        return supply
    budgets = dict.fromkeys(order, 0)
    left, open_attrs = n, [a for a in order if supply[a] > 0]
    random.Random(f"{seed}:budget").shuffle(open_attrs)
    while left >= 4 and open_attrs:
        share = max(4, (left // len(open_attrs)) // 4 * 4)
        for attr in list(open_attrs):
            give = min(share, supply[attr] - budgets[attr], left)
            budgets[attr] += give
            left -= give
            if budgets[attr] >= supply[attr]:
                open_attrs.remove(attr)
            if left < 4:
                break
    return budgets


def _take(groups: list[list[Item]], budget: int, per_cell: int | None) -> list[str]:
    """Ids of whole instances, in shuffled order, that fit the item and cell budgets."""
    taken: list[str] = []
    cells: Counter[tuple[str, str]] = Counter()
    for group in groups:
        if len(taken) + len(group) > budget:
            continue
        need = Counter((i.context_condition, i.polarity) for i in group)
        if per_cell is not None and any(cells[c] + k > per_cell for c, k in need.items()):
            continue
        cells.update(need)
        taken.extend(i.id for i in group)
        if len(taken) >= budget:
            break
    return taken
