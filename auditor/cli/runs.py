"""`spillover runs`: the stored runs and audits; a ``running`` one whose process has ended
(killed, crashed) reads ``running (no live process)``."""

from __future__ import annotations

import json

import click

from auditor.cli.options import open_store, store_option
from auditor.core.choices import RUN_KINDS
from auditor.store.records import shown_status


@click.command("runs")
@click.option("--kind", type=click.Choice(RUN_KINDS), default=None)
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
@store_option
def runs_cmd(kind: str | None, fmt: str, store_path: str | None) -> None:
    """Stored audits and runs, newest first."""
    from auditor.audit.history import list_audits

    with open_store(store_path, must_exist=True) as store:
        audits = list_audits(store)
        runs = [
            {
                k: getattr(r, k)
                for k in (
                    "id",
                    "kind",
                    "status",
                    "live",
                    "model",
                    "adapter",
                    "mode",
                    "done",
                    "total",
                    "created",
                )
            }
            for r in store.runs(kind)
        ]
        path = store.path
    if fmt == "json":
        click.echo(json.dumps({"store": str(path), "audits": audits, "runs": runs}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    if audits:
        table = Table(
            "audit", "profile", "model", "status", "created", title="Audits", title_justify="left"
        )
        for a in audits:
            status = shown_status(a["status"], a["live"])
            table.add_row(
                *(Text(str(x)) for x in (a["id"], a["profile"], a["model"], status, a["created"]))
            )
        console.print(table)
    table = Table(
        "run",
        "kind",
        "status",
        "model",
        "adapter",
        "mode",
        "done",
        "created",
        title="Runs",
        title_justify="left",
    )
    for r in runs:
        done = f"{r['done']}/{r['total']}" if r["kind"] == "eval" else str(r["total"] or "")
        status = shown_status(r["status"], r["live"])
        table.add_row(
            *(
                Text(str(x or ""))
                for x in (
                    r["id"],
                    r["kind"],
                    status,
                    r["model"],
                    r["adapter"],
                    r["mode"],
                    done,
                    r["created"],
                )
            )
        )
    console.print(table)
    console.print(f"store: {path}", highlight=False, markup=False)
