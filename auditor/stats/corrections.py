"""Multiple-comparison corrections over a family of p-values, and significance markers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from auditor.core.choices import CORRECTIONS

METHODS = CORRECTIONS
"""Holm's step-down (controls the family-wise error) and Benjamini–Hochberg (controls
the false discovery rate)."""


STATSMODELS_METHOD = {"holm": "holm", "bh": "fdr_bh"}


def adjust(pvalues: Sequence[float], method: str = "holm") -> np.ndarray:
    """Adjusted p-values by ``method`` (one of METHODS), in the input order, from
    statsmodels' ``multipletests`` (imported here: it pulls in pandas)."""
    if method not in STATSMODELS_METHOD:
        raise ValueError(f"unknown correction {method!r}: expected one of {', '.join(METHODS)}")
    p = np.asarray(pvalues, dtype=float)
    if p.size == 0:
        return p
    from statsmodels.stats.multitest import multipletests

    return multipletests(p, method=STATSMODELS_METHOD[method])[1]


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
