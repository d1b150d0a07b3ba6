"""`spillover plot`: the spillover table of an audit or two runs as a figure."""

from __future__ import annotations

import click

from auditor.cli.options import bbq_option, open_store, store_option


@click.command("plot")
@click.argument("ids", nargs=-1, required=True, metavar="AUDIT | RUN_A RUN_B")
@click.option(
    "-o",
    "--output",
    "output",
    default="spillover.png",
    show_default=True,
    metavar="FILE",
    help="The figure file: .png, .svg or .pdf.",
)
@click.option(
    "--target",
    multiple=True,
    default=("Gender_identity",),
    show_default=True,
    help="With two runs: the attribute(s) the model was aligned for.",
)
@click.option(
    "--n-boot",
    type=click.IntRange(min=100),
    default=10_000,
    show_default=True,
    help="With two runs: bootstrap resamples for the bias-score CIs.",
)
@click.option(
    "--trajectory",
    is_flag=True,
    help="With an audit that has one: Δ against training step per attribute instead.",
)
@bbq_option
@store_option
def plot_cmd(
    ids: tuple[str, ...],
    output: str,
    target: tuple[str, ...],
    n_boot: int,
    trajectory: bool,
    bbq: str | None,
    store_path: str | None,
) -> None:
    """A forest plot of Δaccuracy and Δbias per attribute and context (CIs, significance
    markers, target shaded) and a heatmap of the table; with --trajectory, an audit's Δ
    per cell against training step. Needs the 'plot' extra."""
    from auditor.audit.comparison import compare_stored
    from auditor.audit.history import load_audit
    from auditor.cli.outputs import check_output
    from auditor.core.errors import InputError
    from auditor.reports.figure import FIGURE_SUFFIXES, save_figure

    if len(ids) > 2:
        raise InputError("plot takes one audit id or two run ids")
    if not output.lower().endswith(FIGURE_SUFFIXES):
        raise InputError(f"{output}: figures are written as {', '.join(FIGURE_SUFFIXES)}")
    check_output(output, "--output")
    if trajectory:
        _plot_trajectory(ids, output, store_path)
        return
    with open_store(store_path, must_exist=True) as store:
        if len(ids) == 1:
            result = load_audit(store, ids[0])
            table, title = result.table, f"audit {result.audit_id}"
        else:
            table = compare_stored(
                store, ids[0], ids[1], bbq=bbq, target=target, n_boot=n_boot
            ).table
            title = f"{ids[0]} → {ids[1]}"
    click.echo(f"wrote {save_figure(table, output, title)}", err=True)


def _plot_trajectory(ids: tuple[str, ...], output: str, store_path: str | None) -> None:
    """An audit's trajectory as a figure, or a one-line error when it has none."""
    from auditor.audit.history import load_audit
    from auditor.audit.trajectory import stored_trajectory
    from auditor.core.errors import InputError
    from auditor.reports.trajectory import save_trajectory_figure

    if len(ids) != 1:
        raise InputError("plot --trajectory takes one audit id")
    with open_store(store_path, must_exist=True) as store:
        result = load_audit(store, ids[0])
    traj = stored_trajectory(result)
    if traj is None:
        raise InputError(
            f"audit {result.audit_id[:12]} has no trajectory: run it with --trajectory "
            "(align.trajectory = true)"
        )
    title = f"audit {result.audit_id}: spillover over training"
    click.echo(f"wrote {save_trajectory_figure(traj, output, title)}", err=True)
