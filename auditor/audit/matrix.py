"""The spillover matrix's grid: one ordinary stored audit per recipe (method, target).

A recipe's profile is the matrix profile with ``method`` and ``target`` set to that
recipe and ``methods`` emptied, so each recipe is exactly the audit ``spillover audit``
runs for it (the same audit id: a rerun, or an earlier single audit, is reused stage by
stage). ``targets`` stays set, so every recipe evaluates the same items and the baseline
evaluation is stored once and shared. Seeds (``[align] seeds``) are run by each recipe's
audit as replicates.
"""

from __future__ import annotations

import dataclasses

from auditor.audit.pipeline import AuditResult, run_audit
from auditor.audit.profiles import Profile


def recipe_label(method: str, target: tuple[str, ...]) -> str:
    return f"{method} → {'+'.join(target)}"


def recipe_profiles(profile: Profile) -> dict[tuple[str, tuple[str, ...]], Profile]:
    """The profile of each recipe's audit, keyed (method, target), methods outer."""
    a = profile.align
    methods = a.methods or (a.method,)
    targets = [(t,) for t in a.targets] or [a.target]
    return {(m, t): dataclasses.replace(profile, align=dataclasses.replace(
        a, method=m, target=t, methods=())) for m in methods for t in targets}


def recipe_plans(profile: Profile, bbq: str | None = None) -> dict:
    """``preflight`` of every recipe (model, adapter, data), one per target: the plan (BBQ
    loaded, the target split, the evaluated items) does not depend on the method."""
    from auditor.audit.preflight import preflight

    plans: dict = {}
    for (_, target), sub in recipe_profiles(profile).items():
        if target not in plans:
            plans[target] = preflight(sub, bbq)
    return plans


def run_matrix(profile: Profile, *, store, bbq: str | None = None, reporter=None,
               cancel=None, plans: dict | None = None
               ) -> dict[tuple[str, tuple[str, ...]], AuditResult]:
    """Run (or resume) every recipe's audit, in order; each is an ordinary stored audit,
    so a rerun reuses every finished stage. ``plans``: ``recipe_plans``' (made here
    otherwise)."""
    from auditor.core.events import Message, null_reporter

    report = reporter or null_reporter
    recipes = recipe_profiles(profile)  # each checked on construction, before any work
    plans = plans or recipe_plans(profile, bbq)
    done = {}
    for n, (recipe, sub) in enumerate(recipes.items(), start=1):
        report(Message(f"recipe {n} of {len(recipes)}: {recipe_label(*recipe)}"))
        done[recipe] = run_audit(sub, store=store, bbq=bbq, reporter=reporter, cancel=cancel,
                                 plan=plans[recipe[1]])
    return done


def matrix_of(profile: Profile, results: dict) -> object:
    """The spillover matrix (``stats.matrix.SpilloverMatrix``) of finished recipe audits,
    corrected as one family with the profile's correction and alpha."""
    from auditor.stats.matrix import RecipeTable, build_matrix

    recipes = [RecipeTable(m, t, r.audit_id, r.table) for (m, t), r in results.items()]
    return build_matrix(recipes, correction=profile.stats.correction, alpha=profile.stats.alpha)


def stored_results(profile: Profile, store, bbq: str | None = None) -> dict:
    """Every recipe's finished audit read back from ``store``, nothing run and no model
    loaded (for a viewer, e.g. the app's matrix); InputError names the first recipe
    without a finished audit."""
    from auditor.audit.history import load_audit
    from auditor.audit.pipeline import audit_key, plan_audit
    from auditor.core.errors import InputError
    from auditor.store.db import make_id

    checksums: dict = {}
    found = {}
    for recipe, sub in recipe_profiles(profile).items():
        if recipe[1] not in checksums:
            checksums[recipe[1]] = plan_audit(sub, bbq).checksum
        audit_id = make_id("audit", audit_key(sub, checksums[recipe[1]]))
        try:
            found[recipe] = load_audit(store, audit_id)
        except InputError:
            raise InputError(f"recipe {recipe_label(*recipe)} has no finished audit in the "
                             f"store: run `spillover matrix` with this profile") from None
    return found
