"""Sizing an audit before running it: per cell, the items it will hold, its minimum
detectable effect, and the items it would need to detect a given effect.

No model is loaded: the cells come from the profile's plan over the BBQ data at hand.
Power is that of the exact McNemar test (``stats.power``) at 80 %, at the level a
cell faces when no other test of the family is significant (α / m under Holm and
Benjamini–Hochberg alike, m the table's tests: three accuracy and two bias-score tests
per attribute). The discordance rate — the share of items whose correctness the
alignment flips — is not known before the audit runs; it is an assumption given here.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.audit.comparison import ordered_attributes
from auditor.audit.profiles import Profile
from auditor.audit.selection import plan_audit
from auditor.core.errors import InputError
from auditor.stats.power import POWER, items_needed, mde

TESTS_PER_ATTRIBUTE = 5  # accuracy in ambig, disambig, overall; bias in ambig, disambig


@dataclass(frozen=True)
class CellSize:
    attribute: str
    context: str
    available: int  # items of the cell in the data (the target: its held-out items)
    items: int  # items the profile evaluates (``data.sample``)
    mde: float | None  # with ``items``; None when no change at all could be detected
    needed: int | None  # items to detect ``effect``; None beyond any practical size


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

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


def size_audit(profile: Profile, *, effect: float = 0.05, discordance: float = 0.2,
               bbq: str | None = None) -> AuditSize:
    """Per cell of ``profile``'s table: items, MDE and the items needed for ``effect``."""
    if not 0.0 < effect <= 1.0:
        raise InputError(f"--effect must be in (0, 1] (a fraction: 0.05 = 5 pp), got {effect}")
    if not 0.0 <= discordance <= 1.0:
        raise InputError(f"--discordance must be in [0, 1], got {discordance}")
    plan = plan_audit(profile, bbq)
    attributes = ordered_attributes(profile.align.target, profile.data.attributes)
    tests = TESTS_PER_ATTRIBUTE * len(attributes)
    alpha = profile.stats.alpha
    level = alpha / tests
    needed_overall = items_needed(effect, discordance, level)  # the same for every cell
    cells = []
    for attribute in attributes:
        chosen = [i for i in plan.eval_items if i.attribute == attribute]
        pool = [i for i in plan.items.values() if i.attribute == attribute and (
            attribute not in profile.align.target or i.id in plan.heldout_ids)]
        for context in ("ambig", "disambig", "overall"):
            n, available = (len(chosen), len(pool)) if context == "overall" else (
                _count(chosen, context), _count(pool, context))
            cells.append(CellSize(attribute, context, available, n,
                                  mde(n, discordance, level), needed_overall))
    seeds = len(profile.align.seeds) if len(profile.align.seeds) > 1 else 1
    return AuditSize(profile.name, effect, discordance, alpha, tests, level, POWER, seeds,
                     tuple(cells))


def _count(items, context: str) -> int:
    return sum(i.context_condition == context for i in items)
