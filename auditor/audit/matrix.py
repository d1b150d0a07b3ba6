"""The spillover matrix: every recipe (method × target) of a grid (``grids``) audited, and
its finished audits read back or combined into one matrix."""

from __future__ import annotations

from auditor.audit.grids import recipe_label, recipe_plans, recipe_profiles, run_recipes
from auditor.audit.profiles import Profile

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
    store,
    bbq: str | None = None,
    reporter=None,
    cancel=None,
    plans: dict | None = None,
) -> dict:
    """Run (or resume) every recipe's audit of the grid methods × targets
    (``grids.run_recipes``)."""
    return run_recipes(profile, store=store, bbq=bbq, reporter=reporter, cancel=cancel, plans=plans)


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
    from auditor.audit.history import finished_audit
    from auditor.audit.selection import plan_audit
    from auditor.core.errors import InputError

    checksums: dict = {}
    found = {}
    for recipe, sub in recipe_profiles(profile).items():
        if recipe[1] not in checksums:
            checksums[recipe[1]] = plan_audit(sub, bbq).checksum
        found[recipe] = finished_audit(store, sub, checksum=checksums[recipe[1]])
        if found[recipe] is None:
            raise InputError(
                f"recipe {recipe_label(*recipe)} has no finished audit in the "
                f"store: run `spillover matrix` with this profile"
            )
    return found
