"""Plain-text cell formatting shared by the Markdown and HTML reports."""

from __future__ import annotations

from auditor.stats.table import AccuracyChange, BiasChange

DASH = "—"
SHORT = {"improved": "improved", "degraded": "DEGRADED", "no significant change": "n.s.",
         "undefined": DASH, "pending": "…"}


def pct(value: float | None, signed: bool = False) -> str:
    return DASH if value is None else format(100 * value, "+.1f" if signed else ".1f")


def num(value: float | None) -> str:
    return DASH if value is None else format(value, "+.3f")


def accuracy_cell(change: AccuracyChange) -> str:
    if change.n == 0:
        return DASH
    head = f"{pct(change.delta, True)} pp {change.marker}".rstrip()
    return f"{head} ({pct(change.before)}→{pct(change.after)}%, {SHORT[change.verdict]})"


def bias_cell(change: BiasChange) -> str:
    if change.delta is None:
        return f"{DASH} ({num(change.before)}→{num(change.after)})"
    head = f"{change.delta:+.3f} {change.marker}".rstrip()
    return f"{head} ({num(change.before)}→{num(change.after)}, {SHORT[change.verdict]})"
