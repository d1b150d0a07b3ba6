"""Multiple-comparison corrections over a family of p-values, and significance markers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from auditor.core.choices import CORRECTIONS

METHODS = CORRECTIONS
"""Holm's step-down (controls the family-wise error) and Benjamini–Hochberg (controls
the false discovery rate)."""


def holm(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values in input order (equal to statsmodels' ``multipletests``)."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(p[order] * np.arange(p.size, 0, -1))
    out = np.empty(p.size)
    out[order] = np.minimum(stepped, 1.0)
    return out


def benjamini_hochberg(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values) in input order."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * p.size / np.arange(1, p.size + 1)
    out = np.empty(p.size)
    out[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return out


_ADJUST = {"holm": holm, "bh": benjamini_hochberg}


def adjust(pvalues: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjusted p-values by ``method`` (one of METHODS), in the input order.

    Written here rather than called from statsmodels' ``multipletests``: its Holm branch
    runs a full ``gc.collect()`` on every call (0.1-0.2 s in a process holding a model or
    a test session), and tables are re-corrected on every row and in every MDE bisection
    step. The tests check both against ``multipletests`` and against naive references."""
    if method not in _ADJUST:
        raise ValueError(f"unknown correction {method!r}: expected one of {', '.join(METHODS)}")
    p = np.asarray(pvalues, dtype=float)
    return p if p.size == 0 else _ADJUST[method](p)


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
