"""Sizing an audit before running it: per cell, the items it will hold, its minimum
detectable effect, and the items it would need to detect a given effect.

A target's cells hold its held-out items only, as the audit's table does, even where
every item is evaluated (``data.sample = 0``): its MDE is over those.

No model is loaded: the cells come from the profile's plan over the BBQ data at hand.
Power is that of the exact McNemar test (``stats.power``) at 80 %, at the level a
cell faces when no other test of the family is significant (α / m under Holm and
Benjamini–Hochberg alike, m the table's tests: three accuracy and two bias-score tests
per attribute). The discordance rate — the share of items whose correctness the
alignment flips — is not known before the audit runs; it is an assumption given here.

Under a non-inferiority gate (``[gate] mode = "noninferiority"``) each checked cell also
gets the predicted chance that its accuracy is shown within ``margin_accuracy`` when
nothing truly changed (``stats.noninferiority.power``, design effect 1: items of an
instance counted as independent), and the items it would need for 80 % of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.audit.candidate_settings import is_candidate_audit, table_target
from auditor.audit.comparison import ordered_attributes
from auditor.audit.profiles import Profile
from auditor.audit.selection import plan_audit
from auditor.core.errors import InputError
from auditor.core.items import Item
from auditor.stats.noninferiority import power as ni_power
from auditor.stats.power import POWER, items_needed, mde

TESTS_PER_ATTRIBUTE = 5  # accuracy in ambig, disambig, overall; bias in ambig, disambig


@dataclass(frozen=True)
class CellSize:
    attribute: str
    context: str
    available: int  # items of the cell in the data (the target: its held-out items)
    items: int  # items the table's cell holds (the target: its evaluated held-out items)
    mde: float | None  # with ``items``; None when no change at all could be detected
    needed: int | None  # items to detect ``effect``; None beyond any practical size
    evaluated: int  # items of the cell each run scores (``data.sample``; 0: all of them)
    checked: bool = False  # judged by a non-inferiority gate
    ni_power: float | None = None  # chance its accuracy is shown within the margin
    ni_needed: int | None = None  # items for 80 % of that chance; None beyond any size


@dataclass(frozen=True)
class AuditSize:
    profile: str
    effect: float
    discordance: float
    alpha: float
    tests: int
    level: float
    power: float
    seeds: int
    cells: tuple[CellSize, ...]
    mode: str = "significance"  # the profile's gate mode
    margin: float | None = None  # its accuracy margin (non-inferiority)
    gate_alpha: float | None = None  # the level of the gate's one-sided bound

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def size_audit(
    profile: Profile, *, effect: float = 0.05, discordance: float = 0.2, bbq: str | None = None
) -> AuditSize:
    """Per cell of ``profile``'s table: items, MDE and the items needed for ``effect``."""
    if not 0.0 < effect <= 1.0:
        raise InputError(f"--effect must be in (0, 1] (a fraction: 0.05 = 5 pp), got {effect}")
    if not 0.0 <= discordance <= 1.0:
        raise InputError(f"--discordance must be in [0, 1], got {discordance}")
    plan = plan_audit(profile, bbq)
    target = table_target(profile)
    held = None if is_candidate_audit(profile) else plan.heldout_ids  # None: every item
    attributes = ordered_attributes(target, profile.data.attributes)
    tests = TESTS_PER_ATTRIBUTE * len(attributes)
    alpha = profile.stats.alpha
    gate = profile.gate
    level = alpha / tests
    needed_overall = items_needed(effect, discordance, level)  # the same for every cell
    cells = []
    for attribute in attributes:

        def in_table(
            item: Item, attribute: str = attribute
        ) -> bool:  # as the comparison keeps them
            return attribute not in target or held is None or item.id in held

        scored = [i for i in plan.eval_items if i.attribute == attribute]
        chosen = [i for i in scored if in_table(i)]
        pool = [i for i in plan.items.values() if i.attribute == attribute and in_table(i)]
        for context in ("ambig", "disambig", "overall"):
            n, available, evaluated = (
                (len(chosen), len(pool), len(scored))
                if context == "overall"
                else (_count(chosen, context), _count(pool, context), _count(scored, context))
            )
            cell = CellSize(
                attribute,
                context,
                available,
                n,
                mde(n, discordance, level),
                needed_overall,
                evaluated,
            )
            if gate.mode == "noninferiority" and _checked(gate.cells, profile, attribute, context):
                inside = [i for i in chosen if context in ("overall", i.context_condition)]
                cell = _with_noninferiority(
                    cell, inside, discordance, gate.margin("accuracy", attribute), gate.alpha
                )
            cells.append(cell)
    seeds = len(profile.align.seeds) if len(profile.align.seeds) > 1 else 1
    return AuditSize(
        profile.name,
        effect,
        discordance,
        alpha,
        tests,
        level,
        POWER,
        seeds,
        tuple(cells),
        gate.mode,
        gate.margin_accuracy if gate.mode == "noninferiority" else None,
        gate.alpha,
    )


def _checked(cells: str, profile: Profile, attribute: str, context: str) -> bool:
    """Whether the gate's ``cells`` setting checks this cell (as ``audit.gate`` does)."""
    if cells != "all" and attribute in table_target(profile):
        return False
    return cells != "ambig" or context == "ambig"


def _with_noninferiority(
    cell: CellSize, items: Sequence[Item], discordance: float, margin: float, alpha: float
) -> CellSize:
    """``cell`` with its chance of being shown non-inferior and the items for 80 % of it."""
    from dataclasses import replace

    instances = len({i.template for i in items})
    chance = ni_power(len(items), instances, discordance, margin, alpha)
    size = max(len(items) / instances, 1.0) if instances else 4.0

    def enough(clusters: int) -> bool:
        return ni_power(round(clusters * size), clusters, discordance, margin, alpha) >= POWER

    low, high = 1, 2  # instances of the cell's size: double, then bisect
    while not enough(high):
        low, high = high, 2 * high
        if high > 1_000_000:
            return replace(cell, checked=True, ni_power=chance, ni_needed=None)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    return replace(cell, checked=True, ni_power=chance, ni_needed=round(high * size))


def _count(items: Iterable[Item], context: str) -> int:
    return sum(i.context_condition == context for i in items)
