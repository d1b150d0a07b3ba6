"""The spillover matrix: every recipe (method × target) of a grid (``grids``) audited, and
its finished audits read back or combined into one matrix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from auditor.audit.grids import Recipe, recipe_label, recipe_plans, recipe_profiles, run_recipes
from auditor.audit.profiles import Profile

if TYPE_CHECKING:
    from auditor.audit.result import AuditResult
    from auditor.audit.selection import Selection
    from auditor.core.events import CancelToken, Reporter
    from auditor.stats.matrix import SpilloverMatrix
    from auditor.store.db import Store

__all__ = [
    "matrix_of",
    "recipe_label",
    "recipe_plans",
    "recipe_profiles",
    "run_matrix",
    "stored_results",
]


def run_matrix(
    profile: Profile,
    *,
    store: Store,
    bbq: str | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    plans: dict[tuple[str, ...], Selection] | None = None,
) -> dict[Recipe, AuditResult | None]:
    """Run (or resume) every recipe's audit of the grid methods × targets
    (``grids.run_recipes``)."""
    return run_recipes(profile, store=store, bbq=bbq, reporter=reporter, cancel=cancel, plans=plans)


def matrix_of(profile: Profile, results: Mapping[Recipe, AuditResult | None]) -> SpilloverMatrix:
    """The spillover matrix of finished recipe audits (rank 0's results: ValueError for a
    missing one), corrected as one family with the profile's correction and alpha."""
    from auditor.stats.matrix import RecipeTable, build_matrix

    recipes = []
    for (m, t), r in results.items():
        if r is None:
            raise ValueError(f"recipe {recipe_label(m, t)} has no result (not rank 0)")
        recipes.append(RecipeTable(m, t, r.audit_id, r.table))
    return build_matrix(recipes, correction=profile.stats.correction, alpha=profile.stats.alpha)


def stored_results(
    profile: Profile, store: Store, bbq: str | None = None
) -> dict[Recipe, AuditResult]:
    """Every recipe's finished audit read back from ``store``, nothing run and no model
    loaded (for a viewer, e.g. the app's matrix); InputError names the first recipe
    without a finished audit."""
    from auditor.audit.history import finished_audit
    from auditor.audit.selection import plan_audit
    from auditor.core.errors import InputError

    checksums: dict[tuple[str, ...], str] = {}
    found: dict[Recipe, AuditResult] = {}
    for recipe, sub in recipe_profiles(profile).items():
        if recipe[1] not in checksums:
            checksums[recipe[1]] = plan_audit(sub, bbq).checksum
        result = finished_audit(store, sub, checksum=checksums[recipe[1]])
        if result is None:
            raise InputError(
                f"recipe {recipe_label(*recipe)} has no finished audit in the "
                f"store: run `spillover matrix` with this profile"
            )
        found[recipe] = result
    return found
