"""The spillover table as a figure: a forest plot of Δaccuracy and Δbias with their CIs,
and a heatmap of the same deltas.

matplotlib is an optional extra (``pip install 'spillover[plot]'``), imported only here
and only when a figure is drawn. The palette is Okabe–Ito (colour-blind safe) and every
verdict is also told by marker shape and by the printed significance marker, never by
colour alone.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from auditor.core.errors import InputError
from auditor.stats.matrix import Entry, SpilloverMatrix
from auditor.stats.table import (
    COLUMNS,
    DEGRADED,
    IMPROVED,
    AccuracyChange,
    BiasChange,
    SpilloverTable,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_Drawn = TypeVar("_Drawn", SpilloverTable, SpilloverMatrix)

# Okabe & Ito (2008)
VERMILLION, BLUISH_GREEN, GREY, SKY_BLUE, ORANGE = (
    "#D55E00",
    "#009E73",
    "#7F7F7F",
    "#56B4E9",
    "#E69F00",
)
STYLE = {  # verdict -> (marker, colour, filled)
    DEGRADED: ("X", VERMILLION, True),
    IMPROVED: ("D", BLUISH_GREEN, True),
}
NOT_SIGNIFICANT = ("o", GREY, False)
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
BIAS_COLUMNS = ("ambig", "disambig")


def _pyplot() -> ModuleType:
    try:
        import matplotlib
    except ImportError:
        raise InputError("figures need matplotlib: pip install 'spillover[plot]'") from None
    matplotlib.use("Agg", force=True)
    matplotlib.rcParams["svg.fonttype"] = "none"  # SVG text stays text: searchable, small
    matplotlib.rcParams["svg.hashsalt"] = "spillover"  # SVG ids from the content, not random
    import matplotlib.pyplot as plt

    return plt


def draw(table: SpilloverTable, title: str = "") -> Figure:
    """A matplotlib Figure: forest plots (top) and heatmaps (bottom) of the table."""
    plt = _pyplot()
    fig: Figure
    labels = [a + (" (target)" if a in table.target else "") for a in table.attributes]
    height = 2.0 + 0.55 * len(labels) * 3 + 0.4 * len(labels)
    fig, axes = plt.subplots(
        2, 2, figsize=(11, height), squeeze=False, gridspec_kw={"height_ratios": [3, 1]}
    )
    _forest(axes[0][0], table, labels, "accuracy", COLUMNS, 100.0, "Δ accuracy (pp)")
    _forest(axes[0][1], table, labels, "bias", BIAS_COLUMNS, 1.0, "Δ bias score")
    _heatmap(axes[1][0], table, labels, "accuracy", COLUMNS, 100.0, "Δ accuracy (pp)")
    _heatmap(axes[1][1], table, labels, "bias", BIAS_COLUMNS, 1.0, "Δ bias score")
    fig.suptitle(title or "Bias spillover", fontsize=12)
    import textwrap

    fig.text(0.01, 0.005, textwrap.fill(_legend(table), 150), fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return fig


def _changes(
    table: SpilloverTable, attribute: str, metric: str, context: str
) -> AccuracyChange | BiasChange | None:
    cell = table.cell(attribute, context)
    if cell is None:
        return None
    return cell.accuracy if metric == "accuracy" else cell.bias


def _forest(
    ax: Axes,
    table: SpilloverTable,
    labels: list[str],
    metric: str,
    columns: Sequence[str],
    scale: float,
    xlabel: str,
) -> None:
    ticks: list[float] = []
    names: list[str] = []
    y: float = 0
    for attribute, label in zip(table.attributes, labels, strict=True):
        start = y
        for context in columns:
            change = _changes(table, attribute, metric, context)
            ticks.append(y)
            names.append(f"{label} · {context}")
            if change is not None and change.delta is not None:
                marker, colour, filled = STYLE.get(change.verdict, NOT_SIGNIFICANT)
                if change.ci is not None:
                    low, high = (scale * v for v in change.ci)
                    ax.plot([low, high], [y, y], color=colour, lw=1.6)
                x = scale * change.delta
                ax.plot(
                    [x],
                    [y],
                    marker=marker,
                    ms=7,
                    color=colour,
                    markerfacecolor=colour if filled else "white",
                    markeredgewidth=1.4,
                )
                if change.marker:
                    ax.annotate(
                        change.marker,
                        (x, y),
                        xytext=(6, 3),
                        textcoords="offset points",
                        fontsize=8,
                        color="black",
                    )
            y -= 1
        if attribute in table.target:
            ax.axhspan(y + 0.5, start + 0.5, color=ORANGE, alpha=0.15, lw=0)
        y -= 0.5
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(ticks, names, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)


def _heatmap(
    ax: Axes,
    table: SpilloverTable,
    labels: list[str],
    metric: str,
    columns: Sequence[str],
    scale: float,
    title: str,
) -> None:
    import numpy as np

    grid = np.full((len(table.attributes), len(columns)), np.nan)
    marks: dict[tuple[int, int], str] = {}
    for i, attribute in enumerate(table.attributes):
        for j, context in enumerate(columns):
            change = _changes(table, attribute, metric, context)
            if change is not None and change.delta is not None:
                grid[i, j] = scale * change.delta
                marks[i, j] = change.marker
    limit = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0
    for (i, j), mark in marks.items():
        value = grid[i, j]
        ax.text(
            j,
            i,
            f"{value:+.{1 if scale > 1 else 2}f}{mark}",
            ha="center",
            va="center",
            fontsize=7,
            color="white" if abs(value) > 0.6 * (limit or 1.0) else "black",
        )
    image = ax.imshow(grid, cmap="PuOr", vmin=-(limit or 1.0), vmax=limit or 1.0, aspect="auto")
    ax.set_xticks(range(len(columns)), columns, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.figure.colorbar(image, ax=ax, fraction=0.04)


def _legend(table: SpilloverTable) -> str:
    method = {"holm": "Holm", "bh": "Benjamini–Hochberg"}.get(table.correction, table.correction)
    return (
        f"✕ filled: significantly degraded · ◆ filled: significantly improved · ○ open: "
        f"not significant. ▲/▼ sign of Δ, stars: {method}-corrected p < 0.05 / 0.01 / 0.001. Bars: 95% CIs. "
        f"Shaded rows: target. Δ = after − before on {table.pairing.n_paired:,} paired items."
    )


def save_figure(table: SpilloverTable, path: str | Path, title: str = "") -> Path:
    """Draw the table into ``path`` (.png, .svg or .pdf)."""
    return _save(draw, table, path, title)


def _save(
    drawer: Callable[[_Drawn, str], Figure], data: _Drawn, path: str | Path, title: str
) -> Path:
    """``drawer(data, title)`` written to ``path`` (.png, .svg or .pdf)."""
    path = Path(path)
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise InputError(f"{path}: figures are written as {', '.join(FIGURE_SUFFIXES)}")
    from auditor.reports.atomic import replacing

    plt = _pyplot()
    fig = drawer(data, title)
    try:
        with replacing(path) as tmp:  # an existing figure is replaced atomically
            fig.savefig(tmp, dpi=150, format=path.suffix.lower()[1:], metadata=_metadata(path))
    finally:
        plt.close(fig)
    return path


def figure_svg(table: SpilloverTable, title: str = "") -> str:
    """The figure as an SVG document (text, for inlining in HTML)."""
    plt = _pyplot()
    fig = draw(table, title)
    out = io.StringIO()
    try:
        fig.savefig(out, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
    text = out.getvalue()
    return text[text.index("<svg") :]


def _metadata(path: Path) -> dict[str, Any] | None:
    suffix = path.suffix.lower()
    return (
        {"Date": None}
        if suffix == ".svg"
        else ({"CreationDate": None} if suffix == ".pdf" else None)
    )


def draw_matrix(matrix: SpilloverMatrix, title: str = "") -> Figure:
    """A matplotlib Figure of a spillover matrix (``stats.matrix.SpilloverMatrix``): heatmaps
    of Δaccuracy (pp) and Δbias score, recipes × attribute·context, with markers."""
    plt = _pyplot()
    labels = [
        f"{r.method} → {'+'.join(r.target)} ({r.degraded}/{r.untargeted})" for r in matrix.rows
    ]
    acc_cols = list(matrix.columns)
    bias_cols = [c for c in matrix.columns if c[1] in BIAS_COLUMNS]
    width = 4.0 + 0.55 * len(acc_cols)
    panel = 1.6 + 0.45 * len(labels)
    fig: Figure
    fig, axes = plt.subplots(2, 1, figsize=(width, 2 * panel + 1.0), squeeze=False)
    _matrix_heatmap(axes[0][0], matrix, labels, "accuracy", acc_cols, 100.0, "Δ accuracy (pp)")
    _matrix_heatmap(axes[1][0], matrix, labels, "bias", bias_cols, 1.0, "Δ bias score")
    fig.suptitle(title or "Spillover matrix", fontsize=12)
    import textwrap

    method = {"holm": "Holm", "bh": "Benjamini–Hochberg"}.get(matrix.correction, matrix.correction)
    legend = (
        f"▲/▼ sign of Δ, stars: {method}-corrected p < 0.05 / 0.01 / 0.001, one family "
        f"of {matrix.family} tests over the whole matrix. † the recipe's own target "
        "(held-out items). (k/n): untargeted cells degraded significantly."
    )
    fig.text(0.01, 0.005, textwrap.fill(legend, int(18 * width)), fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    return fig


def _matrix_heatmap(
    ax: Axes,
    matrix: SpilloverMatrix,
    labels: list[str],
    metric: str,
    columns: Sequence[tuple[str, str]],
    scale: float,
    title: str,
) -> None:
    import numpy as np

    grid = np.full((len(matrix.rows), len(columns)), np.nan)
    marks: dict[tuple[int, int], str] = {}
    for i, row in enumerate(matrix.rows):
        for j, (attribute, context) in enumerate(columns):
            cell = row.cell(attribute, context)
            if cell is None:
                continue
            entry: Entry = cell.accuracy if metric == "accuracy" else cell.bias
            if entry.delta is not None:
                grid[i, j] = scale * entry.delta
                marks[i, j] = ("†" if cell.targeted else "") + entry.marker
    limit = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0
    limit = limit or 1.0
    for (i, j), mark in marks.items():
        value = grid[i, j]
        ax.text(
            j,
            i,
            f"{value:+.{1 if scale > 1 else 2}f}{mark}",
            ha="center",
            va="center",
            fontsize=7,
            color="white" if abs(value) > 0.6 * limit else "black",
        )
    image = ax.imshow(grid, cmap="PuOr", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(
        range(len(columns)), [f"{a}\n{c}" for a, c in columns], fontsize=7, rotation=45, ha="right"
    )
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.figure.colorbar(image, ax=ax, fraction=0.04)


def save_matrix_figure(matrix: SpilloverMatrix, path: str | Path, title: str = "") -> Path:
    """Draw the spillover matrix into ``path`` (.png, .svg or .pdf)."""
    return _save(draw_matrix, matrix, path, title)
