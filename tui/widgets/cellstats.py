"""The statistics behind the focused table cell: counts, test, raw and corrected p, CI."""

from __future__ import annotations

from rich.text import Text

from auditor.reports.cells import signed
from auditor.stats.table import AccuracyChange, BiasChange, SpilloverTable

DASH = "—"


def _p(value: float | None) -> str:
    return DASH if value is None else (f"{value:.2g}" if value < 0.001 else f"{value:.3f}")


def _pp(value: float | None) -> str:
    return DASH if value is None else f"{100 * value:+.1f}"


def _ci(ci, fmt) -> str:
    return DASH if ci is None else f"[{fmt(ci[0])}, {fmt(ci[1])}]"


def accuracy_stats(change: AccuracyChange, test: str, correction: str) -> Text:
    text = Text(f"accuracy · n {change.n:,} paired items · b {change.b:,} right→wrong · "
                f"c {change.c:,} wrong→right\n")
    text.append(f"McNemar {test} p {_p(change.p)} (exact {_p(change.p_exact)}, mid-p "
                f"{_p(change.p_mid)}) · {correction}-corrected p {_p(change.p_corrected)} · "
                f"Δ {_pp(change.delta)} pp, 95% CI {_ci(change.ci, _pp)} · {change.verdict}",
                style="dim")
    return text


def _score(value: float | None) -> str:
    return signed(value)


def bias_stats(change: BiasChange, correction: str) -> Text:
    before, after = change.n_non_unknown
    text = Text(f"bias score · non-unknown answers {before:,} → {after:,} · "
                f"{change.n_clusters:,} clusters\n")
    text.append(f"paired cluster bootstrap ({change.n_boot:,} resamples) p {_p(change.p)} · "
                f"{correction}-corrected p {_p(change.p_corrected)} · Δ {_score(change.delta)}, "
                f"95% CI {_ci(change.ci, _score)} · {change.verdict}", style="dim")
    if change.reason:
        text.append(f"\nundefined: {change.reason}", style="yellow")
    return text


def cell_stats(table: SpilloverTable, attribute: str, context: str | None,
               metric: str | None) -> Text:
    """What the cell under the cursor rests on; the attribute column: its overall cell."""
    context = context or "overall"
    where = Text(f"{attribute} × {context}  ", style="bold")
    cell = table.cell(attribute, context)
    if cell is None:
        return where.append("not computed", style="dim")
    if metric == "bias" and context != "overall":
        return where.append_text(bias_stats(cell.bias, table.correction))
    return where.append_text(accuracy_stats(cell.accuracy, table.accuracy_test,
                                            table.correction))
