"""`spillover plan`: size an audit before running it (no model is loaded)."""

from __future__ import annotations

import click

from auditor.cli.options import FiniteRange, bbq_option


@click.command("plan")
@click.option("--profile", "profile_name", default="demo", show_default=True,
              help="A bundled profile name or a .toml file.")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Override any profile field, e.g. --set data.sample=1080.")
@click.option("--effect", type=FiniteRange(0, 1, min_open=True), default=0.05, show_default=True,
              help="The accuracy change to detect, as a fraction (0.05 = 5 pp).")
@click.option("--discordance", type=FiniteRange(0, 1), default=0.2, show_default=True,
              help="Assumed share of items whose correctness the alignment flips.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@bbq_option
def plan_cmd(profile_name, overrides, effect, discordance, fmt, bbq):
    """Per cell: the items the profile evaluates, the minimum detectable effect (exact
    McNemar test, 80 % power, corrected level) and the items needed to detect --effect."""
    import json

    from auditor.audit.profiles import load_profile
    from auditor.audit.sizing import size_audit

    profile = load_profile(profile_name, overrides)
    size = size_audit(profile, effect=effect, discordance=discordance, bbq=bbq)
    if fmt == "json":
        click.echo(json.dumps(size.to_dict(), indent=2))
        return
    _print(size)


def _print(size) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Table(title=f"Audit size: {size.profile}", caption_justify="left", caption=(
        f"MDE: smallest |Δaccuracy| the exact McNemar test detects with {size.power:.0%} "
        f"power at α/m = {size.alpha:g}/{size.tests} = {size.level:.2g}, assuming "
        f"{size.discordance:.0%} of items flip correctness (--discordance). "
        "Target attributes: held-out items only."
        + (f" Per seed; the audit pools {size.seeds} seeds." if size.seeds > 1 else "")))
    for name in ("attribute", "context", "in data", "evaluated", "MDE",
                 f"needed for {100 * size.effect:g} pp"):
        out.add_column(name, justify="left" if name in ("attribute", "context") else "right")
    for cell in size.cells:
        short = cell.needed is None or cell.needed > cell.available
        needed = "—" if cell.needed is None else f"{cell.needed:,}" + (" (more than the data)"
                                                                        if short else "")
        out.add_row(cell.attribute, cell.context, f"{cell.available:,}", f"{cell.items:,}",
                    "—" if cell.mde is None else f"{100 * cell.mde:.1f} pp", needed)
    Console().print(out)
