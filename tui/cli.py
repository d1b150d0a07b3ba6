"""`spillover tui`: the interactive terminal app (Textual), imported only when run.

The engine's CLI does not know this command: the package registers it as a plugin (the
``spillover.commands`` entry point in pyproject.toml).
"""

from __future__ import annotations

import click

from auditor.cli.options import bbq_option


@click.command("tui")
@click.option(
    "--profile",
    metavar="P",
    default=None,
    help="Profile to preselect: a bundled name or a .toml path.",
)
@click.option(
    "--store",
    "store_path",
    metavar="FILE",
    default=None,
    help="Run store (default: $SPILLOVER_STORE or the user data dir).",
)
@bbq_option
def tui_cmd(profile, store_path, bbq):
    """Run audits interactively and browse stored ones: live progress, the spillover
    table as it fills in, and the items behind every cell."""
    from tui import SpilloverApp
    from tui.backend import Backend

    if profile:
        from auditor.audit.profiles import load_profile

        load_profile(profile)  # a bad name or file fails here, as one line
    backend = Backend(store_path, bbq)
    try:
        SpilloverApp(backend, profile=profile).run()
    finally:
        backend.close()
