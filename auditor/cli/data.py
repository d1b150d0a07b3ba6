"""`spillover data`: describe, verify and fetch the BBQ data."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from auditor.bbq.checksums import FileCheck

STYLES = {"ok": "green", "mismatch": "bold red", "missing": "yellow"}

FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)


@click.group("data")
def data() -> None:
    """Describe, verify and fetch the BBQ data."""


@data.command("info")
@click.argument("directory", required=False, metavar="[DIR]")
@FORMAT
def info(directory: str | None, fmt: str) -> None:
    """Counts per attribute × context × polarity, templates and role exceptions.

    DIR defaults to $SPILLOVER_BBQ, else the fetched copy.
    """
    from auditor.bbq import load_bbq, resolve_bbq_dir
    from auditor.bbq.summary import CELLS, summarize
    from auditor.core.items import CATEGORIES

    data = load_bbq(resolve_bbq_dir(directory), CATEGORIES)
    summary = summarize(data, max_ids=len(data.exceptions) if fmt == "json" else 20)
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
        return
    header = ["attribute", "items", *CELLS, "instances", "exceptions"]
    rows = [
        [attr, a["items"], *a["cells"].values(), a["templates"], a["exceptions"]]
        for attr, a in summary["attributes"].items()
    ]
    totals = [sum(r[i] for r in rows) for i in range(1, len(header))]
    rows.append(["total", *totals])
    title = f"{summary['source']}  sha256 {summary['checksum'][:16]}…"
    _table(title, header, rows)
    if summary["exceptions"]:
        click.echo(
            f"{summary['exceptions']} items have no derivable biased option "
            "(kept; roles unknown); `--format json` lists them."
        )


@data.command("verify")
@click.argument("directory", required=False, metavar="[DIR]")
@FORMAT
@click.option("--strict", is_flag=True, help="Missing files are an error too.")
def verify(directory: str | None, fmt: str, strict: bool) -> None:
    """Check the official BBQ files in DIR against their pinned SHA-256.

    Exit 0 when every file present is ok, 1 on a mismatch (or, with --strict, a
    missing file).
    """
    from auditor.bbq import resolve_bbq_dir
    from auditor.bbq.checksums import COMMIT, MISMATCH, MISSING
    from auditor.bbq.checksums import verify as verify_files
    from auditor.core.errors import InputError

    root = resolve_bbq_dir(directory)
    if isinstance(root, str):
        raise InputError(f"{root}: verify checks a folder of files, not a hub dataset")
    checks = verify_files(root)
    data_files = [c for c in checks if c.path.startswith("data/")]
    counts = {s: sum(c.status == s for c in data_files) for s in ("ok", MISMATCH, MISSING)}
    extras = {c.path: c.status for c in checks if not c.path.startswith("data/")}
    if fmt == "json":
        payload = {
            "root": str(root),
            "commit": COMMIT,
            **counts,
            "supplemental": extras,
            "files": [_check_dict(c) for c in checks],
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        _table(
            f"{root}  (nyu-mll/BBQ@{COMMIT[:7]})",
            ["file", "status", "sha256"],
            [[c.path, c.status, (c.sha256 or "")[:16]] for c in checks],
        )
        line = ", ".join(f"{n} {s}" for s, n in counts.items()) + " data files"
        line += "".join(
            f"; {path} {status} (optional: target_loc)" for path, status in extras.items()
        )
        click.echo(line)
    counts[MISMATCH] += sum(v == MISMATCH for v in extras.values())
    counts[MISSING] += sum(v == MISSING for v in extras.values())
    if counts[MISMATCH] or (strict and counts[MISSING]):
        sys.exit(1)


def _check_dict(check: FileCheck) -> dict[str, Any]:
    return {
        "path": check.path,
        "status": check.status,
        "found": check.found,
        "sha256": check.sha256,
        "expected": check.expected,
    }


@data.command("fetch")
@click.option(
    "--dest",
    type=click.Path(file_okay=False),
    default=None,
    help="Destination folder (default: the spillover data folder, bbq/).",
)
@click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help="Download from this mirror instead of GitHub (also $SPILLOVER_BBQ_BASE_URL).",
)
def fetch(dest: str | None, base_url: str | None) -> None:
    """Download the official BBQ files, verifying each SHA-256 before keeping it."""
    from auditor.bbq.fetch import FAILED
    from auditor.bbq.fetch import base_url as resolve_url
    from auditor.bbq.fetch import fetch as fetch_files
    from auditor.bbq.locate import fetched_dir

    target = dest or fetched_dir()
    click.echo(f"fetching from {resolve_url(base_url)} into {target}")
    results = fetch_files(
        target,
        base_url,
        report=lambda r: click.echo(
            f"{r.status:<8} {r.path}" + (f"  {r.detail}" if r.status == FAILED else "")
        ),
    )
    failed = sum(r.status == FAILED for r in results)
    click.echo(f"{len(results) - failed} ok, {failed} failed")
    if failed:
        sys.exit(1)


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A rich table on a terminal wide enough for it, aligned plain text otherwise."""
    numeric = [all(isinstance(r[i], int) for r in rows) for i in range(len(header))]
    texts = [[f"{v:,}" if isinstance(v, int) else str(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in texts]) for i, h in enumerate(header)]
    if sys.stdout.isatty():
        from rich import box
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        console = Console()
        if console.width >= sum(w + 3 for w in widths):
            table = Table(title=Text(title), box=box.SIMPLE_HEAD)
            for name, right in zip(header, numeric, strict=True):
                table.add_column(name, justify="right" if right else "left", no_wrap=True)
            for row in texts:
                table.add_row(*(Text(v, style=STYLES.get(v, "")) for v in row))
            console.print(table)
            return
    click.echo(title)
    for row in [list(header), *texts]:
        click.echo(
            "  ".join(
                v.rjust(w) if right else v.ljust(w)
                for v, w, right in zip(row, widths, numeric, strict=True)
            ).rstrip()
        )
