"""`spillover plan`: size an audit before running it (no model is loaded)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from auditor.cli.candidates import candidate_options
from auditor.cli.options import FiniteRange, bbq_option, store_option

if TYPE_CHECKING:
    from auditor.audit.grid_cost import GridCost
    from auditor.audit.profiles import Profile
    from auditor.audit.sizing import AuditSize


@click.command("plan")
@click.option(
    "--profile",
    "profile_name",
    default="demo",
    show_default=True,
    help="A bundled profile name or a .toml file.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="SECTION.KEY=VALUE",
    help="Override any profile field, e.g. --set data.sample=1080.",
)
@click.option(
    "--effect",
    type=FiniteRange(0, 1, min_open=True),
    default=0.05,
    show_default=True,
    help="The accuracy change to detect, as a fraction (0.05 = 5 pp).",
)
@click.option(
    "--discordance",
    type=FiniteRange(0, 1),
    default=0.2,
    show_default=True,
    help="Assumed share of items whose correctness the alignment flips.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@bbq_option
@store_option
@candidate_options
def plan_cmd(
    profile_name: str,
    overrides: tuple[str, ...],
    effect: float,
    discordance: float,
    fmt: str,
    bbq: str | None,
    store_path: str | None,
    **candidates: Any,
) -> None:
    """Per cell: the items the profile evaluates, the minimum detectable effect (exact
    McNemar test, 80 % power, corrected level) and the items needed to detect --effect;
    then the grid's cost ([align] methods × targets × seeds): trainings, evaluations and
    the per-step and per-item costs measured from the store's finished runs; then the plan
    it will run: every evaluation, training, comparison and report of each recipe (a
    candidate audit: the base and each candidate, no training)."""
    import json

    from auditor.audit.grids import grid_plans
    from auditor.audit.profiles import load_profile
    from auditor.audit.sizing import size_audit
    from auditor.cli import candidates as cand

    extra = cand.candidate_overrides(**candidates)
    profile = load_profile(profile_name, [*overrides, *extra])
    named = cand.names_gate_mode(cand.profile_path(profile_name), overrides)
    profile = cand.with_candidate_gate(profile, named)
    cand.refuse_flags(profile, matrix=False, retrain_missing=False, restore_from=None, **candidates)
    plans = grid_plans(profile)  # what the audit (or the grid) runs; refusals first
    size = size_audit(profile, effect=effect, discordance=discordance, bbq=bbq)
    cost = _grid_cost(profile, size, store_path)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    **size.to_dict(),
                    "grid": cost.to_dict(),
                    "plan": [p.to_dict() for p in plans.values()],
                },
                indent=2,
            )
        )
        return
    _print(size)
    if cand.is_candidate_audit(profile):
        click.echo(
            f"Candidate audit: no training; {cost.evaluations} evaluation(s) of {cost.items:,} "
            "items (one shared baseline + one per candidate). No item is held out (what "
            "trained a candidate is unknown): a target's cells hold all its evaluated items."
        )
    else:
        _print_cost(cost)
    click.echo("Plan (stored stages are reused):")
    for plan in plans.values():
        click.echo("\n".join(plan.lines()))


def _grid_cost(profile: Profile, size: AuditSize, store_path: str | None) -> GridCost:
    """The grid's cost, measured from the store when it exists (never created here)."""
    from auditor.audit.grid_cost import grid_cost
    from auditor.store.db import Store, default_store_path

    items = sum(c.evaluated for c in size.cells if c.context == "overall")
    path = Path(store_path) if store_path else default_store_path()
    if not path.is_file():
        return grid_cost(profile, items)
    with Store(path, readonly=True) as store:
        return grid_cost(profile, items, store)


def _print_cost(cost: GridCost) -> None:
    from rich.console import Console

    out = Console()
    steps = f"{cost.steps} steps each" if cost.steps else "steps set by epochs and data"
    formats = f", in each of {len(cost.formats)} formats" if len(cost.formats) > 1 else ""
    out.print(
        f"Grid: {len(cost.methods)} method(s) × {len(cost.targets)} target(s)"
        f" × {cost.seeds} seed(s) = {cost.trainings} training(s) ({steps}); "
        f"{sum(f.evaluations for f in cost.formats) or cost.evaluations} evaluation(s) of "
        f"{cost.items:,} items (one shared baseline + one per training"
        + (f" + {cost.checkpoints} trajectory checkpoint(s)" if cost.checkpoints else "")
        + f"{formats}).",
        highlight=False,
    )
    for method, measured in cost.per_step.items():
        out.print(
            f"  {method}: "
            + (
                "seconds per training step not measured yet (no finished training run of this "
                "model and method in the store)"
                if measured is None
                else f"{measured.seconds:.3g} s per training step (median of {measured.runs} "
                "finished run(s) on this machine's store)"
            ),
            highlight=False,
        )
    for f in cost.formats:
        what = f"{f.mode}" + ("" if f.orders == "none" else f", orders {f.orders}")
        out.print(
            f"  evaluation ({what}; {f.evaluations} of them): "
            + (
                "seconds per item not measured yet (no finished evaluation of this model "
                "in this mode and orders in the store)"
                if f.per_item is None
                else f"{_seconds(f.per_item.seconds, cost.items)} per item (median of "
                f"{f.per_item.runs} finished run(s))"
            ),
            highlight=False,
        )
    scoring = cost.scoring_seconds
    if cost.steps and scoring is not None and all(cost.per_step.values()):
        total = (
            sum(m.seconds for m in cost.per_step.values() if m)
            * cost.steps
            * cost.trainings
            / len(cost.methods)
            + scoring
        )
        out.print(
            f"  from these: about {_duration(total)} of training steps and scoring for "
            "the grid (model loading and statistics not counted; stored stages are "
            "reused)",
            highlight=False,
        )


def _seconds(value: float, items: int) -> str:
    return f"{value:.3g} s"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _print(size: AuditSize) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Table(
        title=f"Audit size: {size.profile}",
        caption_justify="left",
        caption=(
            f"MDE: smallest |Δaccuracy| the exact McNemar test detects with {size.power:.0%} "
            f"power at α/m = {size.alpha:g}/{size.tests} = {size.level:.2g}, assuming "
            f"{size.discordance:.0%} of items flip correctness (--discordance). "
            'Target attributes: the table holds their held-out items only ("274 of 1,672": '
            "held-out of all evaluated), and the MDE is over those."
            + (f" Per seed; the audit pools {size.seeds} seeds." if size.seeds > 1 else "")
        ),
    )
    for name in (
        "attribute",
        "context",
        "in data",
        "evaluated",
        "MDE",
        f"needed for {100 * size.effect:g} pp",
    ):
        out.add_column(name, justify="left" if name in ("attribute", "context") else "right")
    for cell in size.cells:
        short = cell.needed is None or cell.needed > cell.available
        needed = (
            "—"
            if cell.needed is None
            else f"{cell.needed:,}" + (" (more than the data)" if short else "")
        )
        evaluated = f"{cell.items:,}" + (
            f" of {cell.evaluated:,}" if cell.evaluated != cell.items else ""
        )
        out.add_row(
            cell.attribute,
            cell.context,
            f"{cell.available:,}",
            evaluated,
            "—" if cell.mde is None else f"{100 * cell.mde:.1f} pp",
            needed,
        )
    Console().print(out)
    if size.mode == "noninferiority":
        _print_noninferiority(size)


def _print_noninferiority(size: AuditSize) -> None:
    """Per cell the non-inferiority gate checks: the chance it is shown within its margin."""
    from rich.console import Console
    from rich.table import Table

    assert size.margin is not None  # a non-inferiority size carries its margin
    out = Table(
        title="Non-inferiority gate",
        caption_justify="left",
        caption=(
            f"Accuracy margin {100 * size.margin:g} pp (per-attribute overrides applied). "
            "P(non-inferior): the predicted chance that a checked cell's accuracy is shown "
            "within its margin when nothing truly changed (one-sided bound at α "
            f"{size.gate_alpha:g}, {size.discordance:.0%} of items flipping either way, design "
            "effect 1: the items of a template instance counted as independent; correlated "
            "items need more); needed: the items that would give it 80 %. Bias cells are judged "
            "against margin_bias too and are not sized here."
        ),
    )
    for name in ("attribute", "context", "evaluated", "P(non-inferior)", "needed for 80 %"):
        out.add_column(name, justify="left" if name in ("attribute", "context") else "right")
    for cell in size.cells:
        if not cell.checked:
            continue
        need = (
            "more than any practical size"
            if cell.ni_needed is None
            else (
                f"{cell.ni_needed:,}"
                + (" (more than the data)" if cell.ni_needed > cell.available else "")
            )
        )
        out.add_row(cell.attribute, cell.context, f"{cell.items:,}", f"{cell.ni_power:.0%}", need)
    Console().print(out)
