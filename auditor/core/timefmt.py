"""Durations in words for progress displays (shared by the CLI and the app)."""

from __future__ import annotations


def fmt_eta(seconds: float | None) -> str:
    """'1h02m', '3m05s', '12s' or '?' (unknown, NaN or infinite)."""
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "?"
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"
