"""Multiple-comparison corrections over a family of p-values, and significance markers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

METHODS: tuple[str, ...] = ("holm", "bh")
"""Holm's step-down (controls the family-wise error) and Benjamini–Hochberg (controls
the false discovery rate)."""


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm-adjusted p-values, in the input order (as statsmodels ``multipletests``)."""
    p = np.asarray(pvalues, dtype=float)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    adjusted = np.maximum.accumulate(p[order] * np.arange(m, 0, -1))
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def benjamini_hochberg(pvalues: Sequence[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), in the input order."""
    p = np.asarray(pvalues, dtype=float)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def adjust(pvalues: Sequence[float], method: str = "holm") -> np.ndarray:
    """Adjusted p-values by ``method`` (one of METHODS)."""
    if method == "holm":
        return holm(pvalues)
    if method == "bh":
        return benjamini_hochberg(pvalues)
    raise ValueError(f"unknown correction {method!r}: expected one of {', '.join(METHODS)}")


def stars(p: float | None) -> str:
    """'***' below 0.001, '**' below 0.01, '*' below 0.05, else ''."""
    if p is None:
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def marker(delta: float | None, p: float | None) -> str:
    """Direction arrow of ``delta`` (▲ up, ▼ down) plus stars, shown only when starred."""
    level = stars(p)
    if not level or not delta:
        return ""
    return ("▲" if delta > 0 else "▼") + level
