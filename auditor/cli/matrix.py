"""`spillover matrix`: every recipe (method × target) of a profile audited, one matrix."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.cli.options import FIGURE_SUFFIXES, bbq_option, open_store, store_option

MATRIX_SUFFIXES = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".csv": "csv",
                   ".txt": "table"}


@click.command("matrix")
@click.option("--profile", "profile_name", default="demo", show_default=True,
              help="A bundled profile name or a .toml file; its [align] methods and targets "
              "span the grid.")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Override any profile field, e.g. --set 'align.methods=[\"dpo\",\"orpo\"]'.")
@click.option("--format", "fmt", type=click.Choice(("table", "json", "markdown", "csv")),
              default="table", show_default=True, help="The matrix's format on stdout.")
@click.option("--output", "outputs", multiple=True, metavar="FILE",
              help="Also write the matrix to FILE: .json .md .csv .txt, or the heatmap "
              ".png .svg .pdf (the 'plot' extra). Repeatable.")
@bbq_option
@store_option
def matrix_cmd(profile_name, overrides, fmt, outputs, bbq, store_path):
    """Audit every recipe of the grid [align] methods × targets (× seeds), each an ordinary
    stored, resumable audit on one shared baseline, and print the spillover matrix: one
    correction family over every test of every recipe."""
    from auditor.audit.profiles import load_profile

    run_matrix_report(load_profile(profile_name, overrides), bbq=bbq, store_path=store_path,
                      fmt=fmt, outputs=outputs)


def check_outputs(outputs) -> None:
    """Refuse an --output the matrix cannot be written as, before any work."""
    from auditor.cli.outputs import check_output
    from auditor.core.errors import InputError

    for out in outputs:
        path = Path(out)
        suffix = path.suffix.lower()
        if suffix not in MATRIX_SUFFIXES and suffix not in FIGURE_SUFFIXES:
            raise InputError(f"--output {out}: the matrix is written as "
                             f"{', '.join((*MATRIX_SUFFIXES, *FIGURE_SUFFIXES))}")
        check_output(out)


def run_matrix_report(profile, *, bbq, store_path, fmt, outputs) -> None:
    """Check, run (or resume) the grid, then print and write the matrix."""
    import threading

    from auditor.audit.matrix import matrix_of, recipe_plans, run_matrix
    from auditor.cli.interrupt import first_interrupt_cancels
    from auditor.cli.progress import ProgressReporter
    from auditor.core.events import Cancelled
    from auditor.models.quiet import quiet_hf

    check_outputs(outputs)
    if fmt not in ("table", "json", "markdown", "csv"):
        from auditor.core.errors import InputError

        raise InputError(f"the matrix prints as table, json, markdown or csv, not {fmt}")
    plans = recipe_plans(profile, bbq)  # settings, model and data, before any storing
    quiet_hf()
    cancel = threading.Event()
    with open_store(store_path) as store, ProgressReporter() as reporter:
        try:
            with first_interrupt_cancels(cancel):
                results = run_matrix(profile, store=store, bbq=bbq, reporter=reporter,
                                     cancel=cancel, plans=plans)
        except Cancelled as exc:
            reporter.close()
            click.echo(f"cancelled: {exc}; stored work is kept, rerun to resume", err=True)
            raise SystemExit(130) from None
    matrix = matrix_of(profile, results)
    title = f"Spillover matrix: {profile.name} ({profile.model.source})"
    emit_matrix(matrix, fmt, outputs, title)


def emit_matrix(matrix, fmt: str, outputs, title: str) -> None:
    import io

    from auditor.reports.atomic import write_text
    from auditor.reports.matrix import render_matrix, to_rich

    if fmt == "table":
        from auditor.cli.options import table_console

        console = table_console()
        for table in to_rich(matrix, title):
            console.print(table)
    else:
        click.echo(render_matrix(matrix, fmt, title), nl=False)
    for out in outputs:
        path = Path(out)
        suffix = path.suffix.lower()
        if suffix in FIGURE_SUFFIXES:
            from auditor.reports.figure import save_matrix_figure

            written = save_matrix_figure(matrix, path, title)
        elif MATRIX_SUFFIXES[suffix] == "table":
            from rich.console import Console

            console = Console(file=io.StringIO(), width=400)  # every column unwrapped
            for table in to_rich(matrix, title):
                console.print(table)
            written = write_text(path, console.file.getvalue())
        else:
            written = write_text(path, render_matrix(matrix, MATRIX_SUFFIXES[suffix], title))
        click.echo(f"wrote {written}", err=True)
