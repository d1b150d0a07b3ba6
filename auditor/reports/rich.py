"""Rich renderings of a spillover table and a run summary (rich only, no Textual).

Everything reads without colour: Δ carries its sign, the marker an arrow and stars, and
each cell names its verdict. Text from data is escaped or wrapped in ``Text``.
"""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from auditor.reports.alternatives import accuracy_test_name
from auditor.reports.cells import power_note, seed_note, signed
from auditor.stats.gap import GapChange
from auditor.stats.summary import ALL, RunSummary, SliceMetrics
from auditor.stats.table import (
    DEGRADED,
    IMPROVED,
    NO_CHANGE,
    PENDING,
    UNDEFINED,
    AccuracyChange,
    BiasChange,
    SpilloverTable,
)

DASH = "—"
STYLES = {
    IMPROVED: "green",
    DEGRADED: "bold red",
    NO_CHANGE: "dim",
    UNDEFINED: "dim",
    PENDING: "dim italic",
}
SHORT = {
    IMPROVED: "improved",
    DEGRADED: "degraded",
    NO_CHANGE: "n.s.",
    UNDEFINED: DASH,
    PENDING: "…",
}
CORRECTIONS = {"holm": "Holm", "bh": "Benjamini–Hochberg"}
POWER_NOTE = (
    "\nn.s. (MDE x pp): the smallest Δaccuracy the exact test detects with 80% "
    "power at the cell's corrected level; bias n.s.: the CI's width."
)


def _num(value: float | None, fmt: str) -> str:
    return DASH if value is None else format(value, fmt)


def _pct(value: float | None, signed: bool = False) -> str:
    return DASH if value is None else format(100 * value, "+.1f" if signed else ".1f")


def _verdict(verdict: str) -> Text:
    return Text(SHORT.get(verdict, verdict), style=STYLES.get(verdict, ""))


def _judged(change: AccuracyChange | BiasChange, power: bool) -> Text:
    """The verdict, with an n.s. cell's power note when ``power``: "n.s. (MDE 31 pp)"."""
    note = "; ".join(n for n in (power_note(change) if power else "", seed_note(change)) if n)
    text = _verdict(change.verdict)
    return text.append(f" ({note})", style="dim") if note else text


def accuracy_text(change: AccuracyChange, show_ci: bool = False, power: bool = False) -> Text:
    if change.n == 0:
        return Text(f"{DASH}\nno items", style="dim")
    text = Text(f"{_pct(change.delta, True)} pp {change.marker}".rstrip() + "\n")
    text.append(f"{_pct(change.before)}→{_pct(change.after)}%\n", style="dim")
    if show_ci and change.ci:
        text.append(f"[{_pct(change.ci[0], True)}, {_pct(change.ci[1], True)}]\n", style="dim")
    return text + _judged(change, power)


def bias_text(change: BiasChange, show_ci: bool = False, power: bool = False) -> Text:
    if change.delta is None:
        text = Text(f"{DASH}\n{signed(change.before)}→{signed(change.after)}\n", style="dim")
        return text + _verdict(change.verdict)
    text = Text(f"{signed(change.delta)} {change.marker}".rstrip() + "\n")
    text.append(f"{signed(change.before)}→{signed(change.after)}\n", style="dim")
    if show_ci and change.ci:
        text.append(f"[{signed(change.ci[0])}, {signed(change.ci[1])}]\n", style="dim")
    return text + _judged(change, power)


def gap_text(gap: GapChange | None) -> Text:
    """A bias-aligned accuracy gap cell: Δ in pp with its marker, then before → after."""
    if gap is None:
        return Text("…", style="dim italic")
    if gap.delta is None:
        return Text(f"{DASH}\n{_pct(gap.before, True)}→{_pct(gap.after, True)}", style="dim")
    text = Text(f"{_pct(gap.delta, True)} pp {gap.marker}".rstrip() + "\n")
    return text.append(f"{_pct(gap.before, True)}→{_pct(gap.after, True)}", style="dim")


def render_gaps(table: SpilloverTable) -> Table:
    """The bias-aligned accuracy gap on its own (when it does not fit as columns)."""
    out = Table(
        title="Bias-aligned accuracy gap (disambiguated)",
        show_lines=True,
        caption=Text(GAP_CAPTION),
        caption_justify="left",
    )
    for name in ("attribute", "items\nbiased/anti", "gap Δ\nbefore→after", "CI", "p\ncorrected"):
        out.add_column(name, justify="left" if name == "attribute" else "right")
    for gap in table.gaps:
        ci = DASH if gap.ci is None else f"[{_pct(gap.ci[0], True)}, {_pct(gap.ci[1], True)}]"
        out.add_row(
            Text(gap.attribute),
            f"{gap.n_biased}/{gap.n_anti_biased}",
            gap_text(gap),
            ci,
            _num(gap.p_corrected, ".3g"),
        )
    return out


GAP_CAPTION = (
    "gap = accuracy when the correct answer is the biased option − when it is "
    "the anti-biased one (pp); Δ = after − before, paired cluster bootstrap, "
    "corrected over the gap rows."
)


def render_table(table: SpilloverTable, *, show_ci: bool = False, show_gap: bool = False) -> Table:
    """The spillover table: one row per attribute, target first and marked; with
    ``show_gap`` a last column holds the bias-aligned accuracy gap."""
    out = Table(
        title="Bias spillover",
        caption=caption(table) + POWER_NOTE,
        caption_justify="left",
        show_lines=True,
    )
    width = max((len(a) + 2 for a in table.attributes), default=9)
    out.add_column("attribute", no_wrap=True, min_width=width)
    for context in ("ambig", "disambig"):
        out.add_column(f"{context}\naccuracy", justify="right")
        out.add_column(f"{context}\nbias score", justify="right")
    out.add_column("overall\naccuracy", justify="right")
    gaps = {g.attribute: g for g in table.gaps} if show_gap else None
    if gaps is not None:
        out.add_column("disambig\nbias-aligned\naccuracy gap", justify="right")
        out.caption = caption(table) + Text("\nBias-aligned accuracy gap: " + GAP_CAPTION)
    pending = Text("…", style="dim italic")
    for attribute in table.attributes:
        is_target = attribute in table.target
        label = (
            Text.from_markup(f"[bold]◆ {escape(attribute)}[/bold]\n[dim]target[/dim]")
            if is_target
            else Text(attribute)
        )
        cells: list[Text] = [label]
        for context in ("ambig", "disambig", "overall"):
            cell = table.cell(attribute, context)
            cells.append(accuracy_text(cell.accuracy, show_ci, True) if cell else pending)
            if context != "overall":
                cells.append(bias_text(cell.bias, show_ci, True) if cell else pending)
        if gaps is not None:
            cells.append(gap_text(gaps.get(attribute)))
        out.add_row(*cells)
    return out


def render_replicates(table: SpilloverTable) -> Table:
    """Seed replicates: per attribute × context × metric each seed's own Δ, their mean,
    the pooled p (raw and corrected) and the verdict with the seeds' agreement."""
    out = Table(
        title="Seed replicates",
        caption_justify="left",
        caption=Text(
            "Δ per seed against the shared baseline; pooled p: exact sign-flip test over "
            "template instances (accuracy), shared-draw cluster bootstrap (bias)."
        ),
    )
    for name in (
        "attribute",
        "context",
        "metric",
        *(f"seed {s}" for s in table.seeds),
        "mean Δ",
        "pooled p",
        "corrected p",
        "verdict",
    ):
        out.add_column(
            name,
            justify="left" if name in ("attribute", "context", "metric", "verdict") else "right",
        )
    for attribute in table.attributes:
        for context in ("ambig", "disambig", "overall"):
            cell = table.cell(attribute, context)
            for metric, change in (
                ("accuracy", cell.accuracy if cell else None),
                ("bias", cell.bias if cell else None),
            ):
                if change is None or change.delta is None:
                    continue
                show = _show_accuracy if metric == "accuracy" else _show_bias
                out.add_row(
                    attribute,
                    context,
                    metric,
                    *(show(s.delta) for s in change.seeds),
                    show(change.delta),
                    _num(change.p, ".2g"),
                    _num(change.p_corrected, ".2g"),
                    _judged(change, True),
                )
    return out


def _show_accuracy(value: float | None) -> str:
    return DASH if value is None else f"{100 * value:+.1f} pp"


def _show_bias(value: float | None) -> str:
    return _num(value, "+.3f")


def caption(table: SpilloverTable) -> Text:
    pair = table.pairing
    method = CORRECTIONS.get(table.correction, table.correction)
    return Text.from_markup(
        f"Δ = after − before on {pair.n_paired:,} items both runs scored "
        f"(only before: {pair.only_before:,}; only after: {pair.only_after:,}).\n"
        f"Markers on {escape(method)}-corrected p over {len(table.family)} tests: "
        f"* <0.05  ** <0.01  *** <0.001; ▲/▼ sign of Δ; verdicts at α = {table.alpha:g}.\n"
        f"Accuracy: {escape(accuracy_test_name(table.accuracy_test))}. Bias: BBQ score (Parrish et al. "
        f"2022), paired cluster bootstrap, {table.n_boot:,} resamples, seed {table.seed}; "
        "degraded = |bias| moved away from 0."
        + (
            ""
            if table.complete
            else "\n[italic]Partial table: … marks cells still running.[/italic]"
        )
    )


def _acc_cell(s: SliceMetrics) -> Text:
    if s.accuracy is None or s.accuracy_ci is None:  # both None together (no items)
        return Text(DASH, style="dim")
    text = Text(f"{_pct(s.accuracy)}%\n")
    return text.append(f"{_pct(s.accuracy_ci[0])}–{_pct(s.accuracy_ci[1])}", style="dim")


def _bias_cell(s: SliceMetrics) -> Text:
    if s.bias is None:
        return Text(DASH, style="dim")
    text = Text(f"{signed(s.bias)}\n")
    if s.bias_ci:
        text.append(f"{signed(s.bias_ci[0])}…{signed(s.bias_ci[1])}", style="dim")
    return text


def render_summary(summary: RunSummary) -> Table:
    """One run: accuracy (Wilson 95% CI), unknown and invalid rates, bias scores (CI)."""
    out = Table(
        title="Run summary",
        show_lines=True,
        caption_justify="left",
        caption=Text(
            f"{summary.n_items:,} items; {summary.n_left_out:,} non-unknown answers left out of "
            f"bias scores (biased option unknown). Bias CIs: cluster bootstrap, "
            f"{summary.n_boot:,} resamples, seed {summary.seed}."
        ),
    )
    for name in (
        "attribute",
        "n",
        "accuracy\nambig",
        "accuracy\ndisambig",
        "accuracy\nall",
        "unknown\nanswers",
        "invalid",
        "bias\nambig",
        "bias\ndisambig",
    ):
        out.add_column(name, justify="left" if name == "attribute" else "right")
    for attribute in (*summary.attributes, ALL):
        total = summary.get(attribute)
        label = Text("all attributes", style="bold") if attribute == ALL else Text(attribute)
        out.add_row(
            label,
            f"{total.n:,}",
            _acc_cell(summary.get(attribute, "ambig")),
            _acc_cell(summary.get(attribute, "disambig")),
            _acc_cell(total),
            f"{_pct(total.unknown_rate)}%",
            f"{_pct(total.invalid_rate)}%",
            _bias_cell(summary.get(attribute, "ambig")),
            _bias_cell(summary.get(attribute, "disambig")),
        )
    return out
