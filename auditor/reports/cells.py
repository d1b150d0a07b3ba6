"""Plain-text cell formatting shared by the Markdown and HTML reports."""

from __future__ import annotations

from auditor.stats.matrix import Entry
from auditor.stats.table import NO_CHANGE, AccuracyChange, BiasChange

DASH = "—"
SHORT = {
    "improved": "improved",
    "degraded": "DEGRADED",
    "no significant change": "n.s.",
    "undefined": DASH,
    "pending": "…",
}


def pct(value: float | None, signed: bool = False) -> str:
    return DASH if value is None else format(100 * value, "+.1f" if signed else ".1f")


def signed(value: float | None, digits: int = 3) -> str:
    """``value`` with its sign (+0.083, -0.125); one that rounds to zero is 0.000, unsigned,
    never -0.000."""
    if value is None:
        return DASH
    text = f"{value:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def num(value: float | None) -> str:
    return signed(value)


def power_note(change: AccuracyChange | BiasChange) -> str:
    """What a null could have seen: an n.s. accuracy cell's minimum detectable effect, an
    n.s. bias cell's bootstrap CI width ("" for other verdicts or when unknown)."""
    if change.verdict != NO_CHANGE:
        return ""
    if isinstance(change, AccuracyChange):
        if change.mde is None:
            return ""
        return (
            f"MDE {100 * change.mde:.0f} pp"
            if change.mde >= 0.01
            else f"MDE {100 * change.mde:.1f} pp"
        )
    return "" if change.ci is None else f"CI width {change.ci[1] - change.ci[0]:.2f}"


def seed_note(change: AccuracyChange | BiasChange | Entry) -> str:
    """How the seeds judged the cell on their own: "2/3 seeds" share a significant verdict;
    an n.s. cell names the seeds that were significant anyway ("1/3 seeds degraded");
    "" for one run or an n.s. cell no seed contradicts."""
    if not change.seeds or change.agreement is None:
        return ""
    if change.verdict in ("improved", "degraded"):
        return f"{change.agreement}/{len(change.seeds)} seeds"
    found = [
        f"{sum(s.verdict == v for s in change.seeds)}/{len(change.seeds)} seeds {v}"
        for v in ("degraded", "improved")
        if any(s.verdict == v for s in change.seeds)
    ]
    return ", ".join(found)


def verdict_text(change: AccuracyChange | BiasChange, labels: dict[str, str] = SHORT) -> str:
    """The verdict's short label with its notes: "n.s. (MDE 31 pp)", "DEGRADED (3/3 seeds)"."""
    notes = "; ".join(n for n in (power_note(change), seed_note(change)) if n)
    label = labels.get(change.verdict, change.verdict)
    return f"{label} ({notes})" if notes else label


def seed_deltas(change: AccuracyChange | BiasChange, scale: float = 1.0, fmt: str = "+.3f") -> str:
    """Every seed's own Δ, "seed: Δ" joined by ", " ("" for one run)."""
    return ", ".join(
        f"{s.seed}: {DASH if s.delta is None else format(scale * s.delta, fmt)}"
        for s in change.seeds
    )


def accuracy_cell(change: AccuracyChange) -> str:
    if change.n == 0:
        return DASH
    head = f"{pct(change.delta, True)} pp {change.marker}".rstrip()
    return f"{head} ({pct(change.before)}→{pct(change.after)}%, {verdict_text(change)})"


def bias_cell(change: BiasChange) -> str:
    if change.delta is None:
        return f"{DASH} ({num(change.before)}→{num(change.after)})"
    head = f"{signed(change.delta)} {change.marker}".rstrip()
    return f"{head} ({num(change.before)}→{num(change.after)}, {verdict_text(change)})"
