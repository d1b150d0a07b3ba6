"""Grids of recipes: a profile of several targets (``[align] targets``) or several methods
(``[align] methods``) expanded into one ordinary audit plan per recipe (method, target).

A recipe's profile is the grid profile with ``method`` and ``target`` set to that recipe
and ``methods`` emptied, so each recipe is exactly the audit ``spillover audit`` runs for
it (the same audit id: a rerun, or an earlier single audit, is reused stage by stage).
``targets`` stays set, so every recipe evaluates the same items and the baseline
evaluation is stored once and shared. Seeds (``[align] seeds``) are the third axis,
expanded inside each recipe's plan (``plan.audit_plan``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from auditor.audit import pipeline
from auditor.audit.plan import AuditPlan, audit_plan, recipe_label
from auditor.audit.profiles import Profile
from auditor.audit.result import AuditResult
from auditor.core.errors import InputError

if TYPE_CHECKING:
    from auditor.audit.selection import Selection
    from auditor.core.events import CancelToken, Reporter
    from auditor.store.db import Store

Recipe = tuple[str, tuple[str, ...]]  # (method, target)
__all__ = [
    "Recipe",
    "recipe_label",
    "recipe_plans",
    "recipe_profiles",
    "run_recipes",
    "target_profiles",
]


def recipe_profiles(profile: Profile) -> dict[Recipe, Profile]:
    """The profile of each recipe's audit, keyed (method, target), methods outer."""
    a = profile.align
    methods = a.methods or (a.method,)
    targets: list[tuple[str, ...]] = [(t,) for t in a.targets] or [a.target]
    return {
        (m, t): dataclasses.replace(
            profile, align=dataclasses.replace(a, method=m, target=t, methods=())
        )
        for m in methods
        for t in targets
    }


def target_profiles(profile: Profile) -> dict[str, Profile]:
    """The profile of each target's audit (one method): ``target`` set to that one
    attribute."""
    if not profile.align.targets:
        raise InputError("align.targets is empty: name the attributes to align on one by one")
    return {
        target[0]: sub
        for (_, target), sub in recipe_profiles(
            dataclasses.replace(profile, align=dataclasses.replace(profile.align, methods=()))
        ).items()
    }


def grid_plans(profile: Profile) -> dict[Recipe, AuditPlan]:
    """Every recipe's plan; InputError names the first combination the engine refuses."""
    return {recipe: audit_plan(sub) for recipe, sub in recipe_profiles(profile).items()}


def recipe_plans(profile: Profile, bbq: str | None = None) -> dict[tuple[str, ...], Selection]:
    """``preflight`` of every recipe (model, adapter, data), one per target: the selection
    (BBQ loaded, the target split, the evaluated items) does not depend on the method."""
    from auditor.audit.selection import preflight

    grid_plans(profile)  # every recipe's combination checked before any data is read
    selections: dict[tuple[str, ...], Selection] = {}
    for (_, target), sub in recipe_profiles(profile).items():
        if target not in selections:
            selections[target] = preflight(sub, bbq)
    return selections


def run_recipes(
    profile: Profile,
    *,
    store: Store,
    bbq: str | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    plans: dict[tuple[str, ...], Selection] | None = None,
) -> dict[Recipe, AuditResult | None]:
    """Run (or resume) every recipe's audit, in order; each is an ordinary stored audit,
    so a rerun reuses every finished stage. ``plans``: ``recipe_plans``' (made here
    otherwise). A result is None on a launcher's other ranks (``run_audit``)."""
    from auditor.core.events import Message, null_reporter

    report = reporter or null_reporter
    recipes = recipe_profiles(profile)  # each checked on construction, before any work
    plans = plans or recipe_plans(profile, bbq)
    done: dict[Recipe, AuditResult | None] = {}
    for n, (recipe, sub) in enumerate(recipes.items(), start=1):
        report(Message(f"recipe {n} of {len(recipes)}: {recipe_label(*recipe)}"))
        done[recipe] = pipeline.run_audit(
            sub, store=store, bbq=bbq, reporter=reporter, cancel=cancel, plan=plans[recipe[1]]
        )
    return done
