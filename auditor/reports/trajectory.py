"""A trajectory (``audit.trajectory.Trajectory``) rendered: a rich table (rows: cells;
columns: steps; Δ with its significance marker; the step each cell first degraded), the
same table as plain text (``grid``: Markdown's and HTML's), and a figure of Δ against
step per attribute (matplotlib, as ``figure``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from auditor.core.textsafe import visible
from auditor.reports.cells import DASH, pct, signed

TITLE = "Spillover over training: Δ against the baseline at each saved step"
HOW = (
    "Δ = checkpoint − baseline on the audit's items (accuracy in pp, bias score on −1…+1); "
    "the marker is the table's (arrow and stars: significant after {method} correction); "
    "first degraded: the first step whose verdict is degraded."
)
NI_HOW = (
    " first bound ≥ margin: the first step whose one-sided upper bound on the degradation "
    "does not lie below the cell's margin (non-inferiority)."
)
METHOD = {"holm": "Holm", "bh": "Benjamini–Hochberg"}


def delta_text(metric: str, point: Any) -> str:
    """One point's Δ with its marker: "-4.2 pp ▼*", "+0.083"; "—" when undefined."""
    if point.delta is None:
        return DASH
    value = f"{pct(point.delta, True)} pp" if metric == "accuracy" else signed(point.delta)
    return f"{value} {point.marker}".rstrip()


def step_label(traj: Any, step: int) -> str:
    return f"{step} (final)" if step == traj.final_step else str(step)


def cell_label(path: Any) -> str:
    target = " ◆" if path.is_target else ""
    return visible(f"{path.attribute}{target} / {path.context} / {path.metric}", one_line=True)


def _first(step: int | None) -> str:
    return DASH if step is None else str(step)


def legend(traj: Any) -> str:
    text = HOW.format(method=METHOD.get(traj.correction, traj.correction))
    return text + (NI_HOW if traj.mode == "noninferiority" else "")


def render_trajectory(traj: Any) -> Table:
    """The trajectory as a rich table: a row per cell, a column per step."""
    table = Table(title=TITLE, caption=legend(traj), caption_justify="left")
    table.add_column("cell")
    for step in traj.steps:
        table.add_column(f"step {step_label(traj, step)}", justify="right")
    table.add_column("first degraded", justify="right")
    ni = traj.mode == "noninferiority"
    if ni:
        table.add_column("first bound ≥ margin", justify="right")
    for path in traj.cells:
        row = [Text(cell_label(path))]
        for point in path.points:
            style = {"degraded": "bold red", "improved": "green"}.get(point.verdict, "")
            row.append(Text(delta_text(path.metric, point), style=style))
        row.append(
            Text(
                _first(path.first_degraded),
                style="bold red" if path.first_degraded is not None else "",
            )
        )
        if ni:
            row.append(
                Text(_first(path.first_inconclusive) if path.margin is not None else "not checked")
            )
        table.add_row(*row)
    return table


def grid(traj: Any) -> tuple[list[str], list[list[str]]]:
    """The trajectory table as plain text: its header and a row per cell (cell, Δ at each
    step, first degraded, and under non-inferiority the first bound ≥ margin); Markdown
    and HTML escape it each their own way."""
    ni = traj.mode == "noninferiority"
    head = ["cell", *(f"step {step_label(traj, s)}" for s in traj.steps), "first degraded"]
    head += ["first bound ≥ margin"] if ni else []
    rows = []
    for path in traj.cells:
        row = [cell_label(path), *(delta_text(path.metric, p) for p in path.points)]
        row.append(_first(path.first_degraded))
        if ni:
            row.append(
                _first(path.first_inconclusive) if path.margin is not None else "not checked"
            )
        rows.append(row)
    return head, rows


def markdown_lines(traj: Any) -> list[str]:
    """The trajectory as a Markdown section."""

    def md(text: str) -> str:
        return "".join("\\" + ch if ch in "\\`*_[]<>|" else ch for ch in text)

    head, rows = grid(traj)
    lines = ["", "### Spillover over training", "", "| " + " | ".join(head) + " |"]
    lines.append("|" + "---|" * len(head))
    lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    lines += ["", f"<sub>{md(legend(traj))}</sub>"]
    return lines


def draw_trajectory(traj: Any, title: str = "") -> Any:
    """A matplotlib Figure: per attribute, Δaccuracy (pp) and Δbias score against step,
    one line per context, CIs as bands, degraded points marked ✕ (not by colour alone)."""
    from auditor.reports.figure import GREY, ORANGE, SKY_BLUE, VERMILLION, _pyplot

    plt = _pyplot()
    attributes = traj.attributes
    fig, axes = plt.subplots(
        len(attributes), 2, figsize=(11, 2.2 * len(attributes) + 1), squeeze=False, sharex=True
    )
    colours = {"ambig": VERMILLION, "disambig": SKY_BLUE, "overall": ORANGE}
    for row, attribute in enumerate(attributes):
        for col, (metric, scale, unit) in enumerate(
            (("accuracy", 100.0, "Δ accuracy (pp)"), ("bias", 1.0, "Δ bias score"))
        ):
            ax = axes[row][col]
            ax.axhline(0, color=GREY, linewidth=0.8)
            for path in traj.cells:
                if (path.attribute, path.metric) != (attribute, metric):
                    continue
                pts = [p for p in path.points if p.delta is not None]
                xs, ys = [p.step for p in pts], [scale * p.delta for p in pts]
                colour = colours[path.context]
                ax.plot(xs, ys, marker="o", fillstyle="none", color=colour, label=path.context)
                bands = [p for p in pts if p.ci is not None]
                if bands:
                    ax.fill_between([p.step for p in bands], [scale * p.ci[0] for p in bands],
                                    [scale * p.ci[1] for p in bands], color=colour, alpha=0.15)  # fmt: skip
                bad = [p for p in pts if p.verdict == "degraded"]
                ax.scatter([p.step for p in bad], [scale * p.delta for p in bad], marker="X",
                           s=80, color=colour, zorder=3)  # fmt: skip
            name = attribute + (" (target)" if attribute in traj.target else "")
            ax.set_ylabel(f"{name}\n{unit}", fontsize=8)
            if row == 0:
                ax.legend(fontsize=7, loc="best")
    for ax in axes[-1]:
        ax.set_xlabel("training step")
        ax.set_xticks(list(traj.steps))
    fig.suptitle(title or "Bias spillover over training (✕: significantly degraded)", fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.98))  # room for the title
    return fig


def save_trajectory_figure(traj: Any, path: str | Path, title: str = "") -> Path:
    """Draw the trajectory into ``path`` (.png, .svg or .pdf)."""
    from auditor.reports.figure import _save

    return _save(draw_trajectory, traj, path, title)
