"""`spillover profiles`: list the bundled profiles and show one resolved."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import click

from auditor.audit.profiles import available, load_profile


@click.group("profiles", invoke_without_command=True)
@click.pass_context
def profiles(ctx: click.Context) -> None:
    """List the bundled audit profiles."""
    if ctx.invoked_subcommand is None:
        for name, path in available().items():
            description = tomllib.loads(path.read_text(encoding="utf-8")).get("description", "")
            click.echo(f"{name:<14} {description}")


@profiles.command("show")
@click.argument("name")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="SECTION.KEY=VALUE",
    help="Override any field, e.g. --set align.beta=0.2.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["toml", "json"]), default="toml", show_default=True
)
def show(name: str, overrides: tuple[str, ...], fmt: str) -> None:
    """Print the resolved configuration of profile NAME (a bundled name or a .toml path)."""
    data = load_profile(name, overrides).to_dict()
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(_to_toml(data))


def _to_toml(data: dict[str, Any]) -> str:
    lines = [f"{k} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for section, body in data.items():
        if isinstance(body, dict):
            lines += ["", f"[{section}]"] + [f"{k} = {_value(v)}" for k, v in body.items()]
    return "\n".join(lines)


def _value(v: object) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(v)
