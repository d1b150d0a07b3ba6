"""The `spillover` command line: a lazy click group over the engine.

Subcommands live in their own modules and are imported only when invoked, so
``spillover --help`` never imports torch or transformers.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from auditor.core.errors import SpilloverError, described
from auditor.core.textsafe import visible
from auditor.models.distributed import error_prefix, lost_rank, prints_error

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

# command name -> "module:attribute" inside auditor.cli
COMMANDS: dict[str, str] = {
    "data": "data:data",
    "eval": "eval:eval_cmd",
    "align": "align:align_cmd",
    "profiles": "profiles:profiles",
    "audit": "audit:audit_cmd",
    "demo": "audit:demo_cmd",
    "compare": "compare:compare_cmd",
    "gate": "compare:gate_cmd",
    "items": "items:items_cmd",
    "runs": "runs:runs_cmd",
    "import": "imports:import_group",
    "plot": "plot:plot_cmd",
    "plan": "plan:plan_cmd",
    "matrix": "matrix:matrix_cmd",
}
PLUGIN_GROUP = "spillover.commands"  # other packages (the Textual app) add commands here


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS.keys() | plugins().keys())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module, attr = COMMANDS[name].split(":")
            command: click.Command = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
            return command
        plugin = plugins().get(name)
        return plugin.load() if plugin is not None else None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the CLI with stdout and stderr that may be closed early by their reader
        (``| head -1``): the exit code stays the command's own."""
        from auditor.cli.pipes import guarded_streams

        with guarded_streams():
            return super().main(*args, **kwargs)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name in COMMANDS:  # SIGTERM is recorded as an interrupt (plugins keep their own)
            from auditor.cli.interrupt import sigterm_interrupts

            ctx.with_resource(sigterm_interrupts())
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SpilloverError as exc:
            if prints_error(exc):  # under a launcher an error every rank meets prints once
                click.echo(f"error: {error_prefix()}{visible(exc, one_line=True)}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except KeyboardInterrupt as exc:
            what = visible(exc, one_line=True) or "stored results are kept; rerun to resume"
            click.echo(f"interrupted: {error_prefix()}{what}", err=True)
            sys.exit(getattr(exc, "exit_code", 130))  # SIGTERM: 143
        except Exception as exc:  # a runtime failure: one line, exit 3
            if os.environ.get("SPILLOVER_DEBUG"):
                raise
            lost = lost_rank(exc)  # under a launcher: another rank died
            if lost is not None:
                click.echo(f"error: {error_prefix()}{visible(lost, one_line=True)}", err=True)
                sys.exit(lost.exit_code)
            click.echo(
                f"error: {error_prefix()}{visible(described(exc), one_line=True)} "
                "(set SPILLOVER_DEBUG=1 for the traceback)",
                err=True,
            )
            sys.exit(3)


@functools.lru_cache(maxsize=1)
def plugins() -> dict[str, EntryPoint]:
    """Commands other installed packages register under ``PLUGIN_GROUP``."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=PLUGIN_GROUP)}


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="spillover")
def main() -> None:
    """spillover: audit how aligning a model for one fairness attribute spills over onto
    the others, on the BBQ benchmark."""


if __name__ == "__main__":  # pragma: no cover
    main()
