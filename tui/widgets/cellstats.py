"""The statistics behind the focused table cell: counts, test, raw and corrected p, CI,
the verdict with its power ("n.s. (MDE 31 pp)"), with seed replicates each seed's own
Δ and p and how many seeds agree, and, under a non-inferiority gate, the cell's upper
bound, its margin and the judgement."""

from __future__ import annotations

from rich.text import Text

from auditor.reports.cells import power_note, seed_note, signed
from auditor.stats.table import NO_CHANGE, AccuracyChange, BiasChange, SpilloverTable

DASH = "—"


def _p(value: float | None) -> str:
    return DASH if value is None else (f"{value:.2g}" if value < 0.001 else f"{value:.3f}")


def _pp(value: float | None) -> str:
    return DASH if value is None else f"{100 * value:+.1f}"


def _ci(ci, fmt) -> str:
    return DASH if ci is None else f"[{fmt(ci[0])}, {fmt(ci[1])}]"


def verdict(change: AccuracyChange | BiasChange) -> str:
    """The verdict in words with its notes: "n.s. (MDE 31 pp)",
    "degraded (3/3 seeds)"."""
    notes = "; ".join(n for n in (power_note(change), seed_note(change)) if n)
    label = "n.s." if change.verdict == NO_CHANGE else change.verdict
    return f"{label} ({notes})" if notes else label


def seed_lines(change: AccuracyChange | BiasChange, show) -> Text:
    """One line a seed: its own Δ, p and corrected p, and verdict; then the agreement."""
    text = Text()
    if not change.seeds:
        return text
    for s in change.seeds:
        text.append(
            f"\n  seed {s.seed}: Δ {show(s.delta)} · p {_p(s.p)} · corrected "
            f"{_p(s.p_corrected)} · {s.verdict}",
            style="dim",
        )
    if change.agreement is not None:
        text.append(
            f"\n  agreement: {change.agreement}/{len(change.seeds)} seeds {change.verdict}",
            style="dim",
        )
    return text


def accuracy_stats(change: AccuracyChange, test: str, correction: str) -> Text:
    text = Text(
        f"accuracy · n {change.n:,} paired items · b {change.b:,} right→wrong · "
        f"c {change.c:,} wrong→right\n"
    )
    test_name = (
        f"pooled sign-flip over {len(change.seeds)} seeds"
        if change.seeds
        else "cluster sign-flip"
        if test == "cluster"
        else f"McNemar {test}"
    )
    detail = "" if change.seeds else f" (exact {_p(change.p_exact)}, mid-p {_p(change.p_mid)})"
    text.append(
        f"{test_name} p {_p(change.p)}{detail} · {correction}-corrected p "
        f"{_p(change.p_corrected)} · Δ {_pp(change.delta)} pp, 95% CI "
        f"{_ci(change.ci, _pp)} · {verdict(change)}",
        style="dim",
    )
    if change.mde is not None:
        text.append(
            f"\nMDE {100 * change.mde:.1f} pp (smallest detectable |Δ|: exact test, 80% power)",
            style="dim",
        )
    return text + seed_lines(change, lambda v: f"{_pp(v)} pp")


def _score(value: float | None) -> str:
    return signed(value)


def bias_stats(change: BiasChange, correction: str) -> Text:
    before, after = change.n_non_unknown
    text = Text(
        f"bias score · non-unknown answers {before:,} → {after:,} · "
        f"{change.n_clusters:,} clusters\n"
    )
    text.append(
        f"paired cluster bootstrap ({change.n_boot:,} resamples) p {_p(change.p)} · "
        f"{correction}-corrected p {_p(change.p_corrected)} · Δ {_score(change.delta)}, "
        f"95% CI {_ci(change.ci, _score)} · {verdict(change)}",
        style="dim",
    )
    if change.reason:
        text.append(f"\nundefined: {change.reason}", style="yellow")
    return text + seed_lines(change, _score)


def gap_stats(gap) -> Text:
    """A bias-aligned accuracy gap: counts, accuracies on each side, the paired test."""
    (bb, ba), (ab, aa) = gap.accuracy_biased, gap.accuracy_anti_biased
    text = Text(
        f"bias-aligned accuracy gap · correct answer biased {gap.n_biased:,} / "
        f"anti-biased {gap.n_anti_biased:,} items · {gap.n_clusters:,} clusters\n"
    )
    text.append(
        f"accuracy biased {_pct(bb)} → {_pct(ba)}%, anti-biased {_pct(ab)} → "
        f"{_pct(aa)}% · gap {_pp(gap.before)} → {_pp(gap.after)} pp · Δ "
        f"{_pp(gap.delta)} pp, 95% CI {_ci(gap.ci, _pp)} · paired cluster bootstrap "
        f"p {_p(gap.p)} · corrected over the gap rows {_p(gap.p_corrected)}",
        style="dim",
    )
    if gap.reason:
        text.append(f"\nundefined: {gap.reason}", style="yellow")
    return text


def _pct(value: float | None) -> str:
    return DASH if value is None else f"{100 * value:.1f}"


def judgement_stats(gate, attribute: str, context: str, metric: str) -> Text:
    """The non-inferiority judgement of one cell's metric (empty without such a gate)."""
    from auditor.reports.judgements import line

    found = [
        j
        for j in getattr(gate, "judgements", ())
        if (j.attribute, j.context, j.metric) == (attribute, context, metric)
    ]
    text = Text()
    for j in found:
        style = "green" if j.verdict == "non-inferior" else "yellow"
        text.append(f"\nnon-inferiority: {line(j)}", style=style)
    return text


def cell_stats(
    table: SpilloverTable, attribute: str, context: str | None, metric: str | None, gate=None
) -> Text:
    """What the cell under the cursor rests on; the attribute column: its overall cell.
    ``gate``: a non-inferiority gate's result adds the cell's bound and judgement."""
    context = context or "overall"
    where = Text(f"{attribute} × {context}  ", style="bold")
    if metric == "gap":
        gap = next((g for g in table.gaps if g.attribute == attribute), None)
        return (
            where.append_text(gap_stats(gap)) if gap else where.append("not computed", style="dim")
        )
    cell = table.cell(attribute, context)
    if cell is None:
        return where.append("not computed", style="dim")
    if metric == "bias" and context != "overall":
        return where.append_text(bias_stats(cell.bias, table.correction)).append_text(
            judgement_stats(gate, attribute, context, "bias")
        )
    return where.append_text(
        accuracy_stats(cell.accuracy, table.accuracy_test, table.correction)
    ).append_text(judgement_stats(gate, attribute, context, "accuracy"))
