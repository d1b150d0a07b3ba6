"""Plain-text cell formatting shared by the Markdown and HTML reports."""

from __future__ import annotations

from auditor.stats.table import AccuracyChange, BiasChange

DASH = "—"
SHORT = {"improved": "improved", "degraded": "DEGRADED", "no significant change": "n.s.",
         "undefined": DASH, "pending": "…"}


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


def accuracy_cell(change: AccuracyChange) -> str:
    if change.n == 0:
        return DASH
    head = f"{pct(change.delta, True)} pp {change.marker}".rstrip()
    return f"{head} ({pct(change.before)}→{pct(change.after)}%, {SHORT[change.verdict]})"


def bias_cell(change: BiasChange) -> str:
    if change.delta is None:
        return f"{DASH} ({num(change.before)}→{num(change.after)})"
    head = f"{signed(change.delta)} {change.marker}".rstrip()
    return f"{head} ({num(change.before)}→{num(change.after)}, {SHORT[change.verdict]})"
