"""`spillover matrix`: every recipe (method × target) of a profile audited, one matrix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from auditor.cli.options import FIGURE_SUFFIXES, bbq_option, store_option
from auditor.reports.formats import TABLE

if TYPE_CHECKING:
    from auditor.audit.grids import Recipe
    from auditor.audit.profiles import Profile
    from auditor.audit.result import AuditResult
    from auditor.reports.document import Report
    from auditor.stats.matrix import SpilloverMatrix

MATRIX_FORMATS = ("table", "json", "markdown", "csv")
"""The report formats a matrix is written in (no JUnit or HTML: it gates nothing)."""
MATRIX_SUFFIXES = {s: f.name for f in TABLE if f.name in MATRIX_FORMATS for s in f.suffixes}


@click.command("matrix")
@click.option(
    "--profile",
    "profile_name",
    default="demo",
    show_default=True,
    help="A bundled profile name or a .toml file; its [align] methods and targets span the grid.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="SECTION.KEY=VALUE",
    help='Override any profile field, e.g. --set \'align.methods=["dpo","orpo"]\'.',
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(MATRIX_FORMATS),
    default="table",
    show_default=True,
    help="The matrix's format on stdout.",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    metavar="FILE",
    help="Also write the matrix to FILE: .json .md .csv .txt, or the heatmap "
    ".png .svg .pdf (the 'plot' extra). Repeatable.",
)
@bbq_option
@store_option
def matrix_cmd(
    profile_name: str,
    overrides: tuple[str, ...],
    fmt: str,
    outputs: tuple[str, ...],
    bbq: str | None,
    store_path: str | None,
) -> None:
    """Audit every recipe of the grid [align] methods × targets (× seeds), each an ordinary
    stored, resumable audit on one shared baseline, and print the spillover matrix: one
    correction family over every test of every recipe."""
    from auditor.audit.profiles import load_profile

    run_matrix_report(
        load_profile(profile_name, overrides),
        bbq=bbq,
        store_path=store_path,
        fmt=fmt,
        outputs=outputs,
    )


def check_outputs(outputs: Iterable[str]) -> None:
    """Refuse an --output the matrix cannot be written as, before any work."""
    from auditor.cli.outputs import check_output
    from auditor.core.errors import InputError

    for out in outputs:
        path = Path(out)
        suffix = path.suffix.lower()
        if suffix not in MATRIX_SUFFIXES and suffix not in FIGURE_SUFFIXES:
            raise InputError(
                f"--output {out}: the matrix is written as "
                f"{', '.join((*MATRIX_SUFFIXES, *FIGURE_SUFFIXES))}"
            )
        check_output(out)


def run_matrix_report(
    profile: Profile, *, bbq: str | None, store_path: str | None, fmt: str, outputs: Sequence[str]
) -> None:
    """Check, run (or resume) the grid, then print and write the matrix."""
    from auditor.audit.matrix import matrix_of, recipe_plans, run_matrix
    from auditor.cli.interrupt import run_cancellable
    from auditor.core.errors import InputError
    from auditor.models.distributed import world
    from auditor.models.quiet import quiet_hf

    check_outputs(outputs)
    if fmt not in ("table", "json", "markdown", "csv"):
        raise InputError(f"the matrix prints as table, json, markdown or csv, not {fmt}")
    controlled = profile.eval.orders != "none" or profile.eval.transfer
    if controlled and (fmt == "csv" or any(Path(o).suffix.lower() == ".csv" for o in outputs)):
        raise InputError(
            "the matrix's CSV holds no format controls (eval.orders, "
            "eval.transfer): write json, markdown or table"
        )
    plans = recipe_plans(profile, bbq)  # settings, model and data, before any storing
    quiet_hf()
    results = run_cancellable(run_matrix, store_path, profile=profile, bbq=bbq, plans=plans)
    if not world().is_main:  # a launcher's other ranks: rank 0 reports
        return
    matrix = matrix_of(profile, results)
    title = f"Spillover matrix: {profile.name} ({profile.model.source})"
    emit_matrix(matrix, fmt, outputs, title, recipe_controls(results))


def recipe_controls(results: Mapping[Recipe, AuditResult | None]) -> dict[str, Report]:
    """Each recipe's format controls (rotation, format transfer) as a report, by recipe
    label; empty when the grid has none."""
    from auditor.audit.grids import recipe_label
    from auditor.audit.report import with_controls
    from auditor.reports.document import Report

    return {
        recipe_label(*recipe): with_controls(Report(r.table, {"audit": r.audit_id}), r)
        for recipe, r in results.items()
        if r is not None and (r.rotation or r.transfer is not None)
    }


def _controls_text(controls: Mapping[str, Report], fmt: str) -> str:
    """The recipes' controls after the matrix: markdown sections, or JSON by recipe."""
    import json

    if fmt == "json":
        return json.dumps(
            {
                label: {
                    k: v
                    for k, v in rep.to_dict().items()
                    if k in ("subject", "rotation", "format_transfer")
                }
                for label, rep in controls.items()
            },
            indent=2,
        )
    from auditor.reports.markdown import _controls

    return (
        "\n".join(
            line
            for label, rep in controls.items()
            for line in ("", f"## Controls of {label}", *_controls(rep))
        )
        + "\n"
    )


def render_with_controls(
    matrix: SpilloverMatrix, fmt: str, title: str, controls: Mapping[str, Report]
) -> str:
    """The matrix as text in ``fmt``, with each recipe's format controls (JSON: under
    "controls"; markdown: a section per recipe)."""
    import json

    from auditor.reports.matrix import render_matrix

    text = render_matrix(matrix, fmt, title)
    if not controls:
        return text
    if fmt == "json":
        return (
            json.dumps(
                {**json.loads(text), "controls": json.loads(_controls_text(controls, "json"))},
                indent=2,
            )
            + "\n"
        )
    return text + _controls_text(controls, "markdown")


def emit_matrix(
    matrix: SpilloverMatrix,
    fmt: str,
    outputs: Iterable[str],
    title: str,
    controls: Mapping[str, Report] | None = None,
) -> None:
    import io

    from auditor.reports.atomic import write_text
    from auditor.reports.matrix import to_rich

    controls = controls or {}
    if fmt == "table":
        from auditor.cli.options import table_console
        from auditor.reports.terminal import control_parts

        console = table_console()
        for table in to_rich(matrix, title):
            console.print(table)
        for label, report in controls.items():
            console.print(f"Controls of {label}", style="bold", markup=False)
            for part in control_parts(report):
                console.print(part)
    else:
        click.echo(render_with_controls(matrix, fmt, title, controls), nl=False)
    for out in outputs:
        path = Path(out)
        suffix = path.suffix.lower()
        if suffix in FIGURE_SUFFIXES:
            from auditor.reports.figure import save_matrix_figure

            written = save_matrix_figure(matrix, path, title)
        elif MATRIX_SUFFIXES[suffix] == "table":
            from rich.console import Console

            from auditor.reports.terminal import control_parts

            buffer = io.StringIO()
            console = Console(file=buffer, width=400)  # every column unwrapped
            for table in to_rich(matrix, title):
                console.print(table)
            for label, report in controls.items():
                console.print(f"Controls of {label}", markup=False)
                for part in control_parts(report):
                    console.print(part)
            written = write_text(path, buffer.getvalue())
        else:
            written = write_text(
                path, render_with_controls(matrix, MATRIX_SUFFIXES[suffix], title, controls)
            )
        click.echo(f"wrote {written}", err=True)
