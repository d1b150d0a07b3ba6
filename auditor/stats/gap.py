"""BBQ's bias-aligned accuracy gap in disambiguated contexts, before and after.

Parrish et al. (2022) report that models are more accurate in disambiguated contexts when
the correct answer is the stereotyped (biased) option than when it is the anti-biased one.
Per attribute: ``gap = accuracy(correct answer biased) − accuracy(correct answer
anti-biased)``, over disambiguated items whose roles are known; an invalid answer counts
as wrong. The change Δ = gap_after − gap_before is tested by a paired cluster bootstrap
over template instances (the same resampling as the bias score): percentile CI and
p = 2·Φ(−|Δ|/SE); when no item changed correctness the CI is ``unobserved``'s instead of
[0, 0]. The gaps' p-values are corrected (Holm or BH, as the table) over the
gap family only, so they never change the spillover table's own corrections.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from auditor.core.items import Item
from auditor.stats.bootstrap import (
    cell_rng,
    cluster_sums,
    normal_p,
    percentile_ci,
    resample_totals,
    standard_error,
)
from auditor.stats.corrections import adjust, marker
from auditor.stats.frame import Frame
from auditor.stats.unobserved import gap_range, movable

GAP_TEST = (
    "paired cluster bootstrap over template instances: percentile CI; "
    "p = 2·Φ(−|Δ|/SE); corrected over the gap rows only"
)


@dataclass(frozen=True, slots=True)
class GapChange:
    """One attribute's bias-aligned accuracy gap (disambiguated contexts).

    Counts are of items whose correct answer is the biased / anti-biased option;
    accuracies are (before, after); ``reason`` says why the gap is undefined.
    """

    attribute: str
    n_biased: int
    n_anti_biased: int
    accuracy_biased: tuple[float | None, float | None]
    accuracy_anti_biased: tuple[float | None, float | None]
    before: float | None
    after: float | None
    delta: float | None
    ci: tuple[float, float] | None
    p: float | None
    se: float | None = None
    n_clusters: int = 0
    reason: str = ""
    p_corrected: float | None = None
    marker: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GapChange:
        return cls(
            **{
                **data,
                "accuracy_biased": tuple(data["accuracy_biased"]),
                "accuracy_anti_biased": tuple(data["accuracy_anti_biased"]),
                "ci": None if data["ci"] is None else (data["ci"][0], data["ci"][1]),
            }
        )


def correct_roles(items: Mapping[str, Item], frame: Frame) -> np.ndarray:
    """Per frame item: 1 when its correct answer is the biased option, 2 anti-biased, 0
    otherwise (ambiguous items, unknown roles)."""
    out = np.zeros(frame.n, dtype=np.int8)
    for j, item_id in enumerate(frame.ids):
        item = items[item_id]
        if item.context_condition != "disambig" or item.roles is None:
            continue
        out[j] = (
            1
            if item.label == item.roles.biased
            else 2
            if item.label == item.roles.anti_biased
            else 0
        )
    return out


def _gap(columns: np.ndarray, run: int) -> np.ndarray:
    """Gap of run 0/1 from totals [n_b, n_a, right_b0, right_a0, right_b1, right_a1]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        gap: np.ndarray = (
            columns[..., 2 + 2 * run] / columns[..., 0]
            - columns[..., 3 + 2 * run] / columns[..., 1]
        )
    return gap


def compare_gap(
    items: Mapping[str, Item],
    frame: Frame,
    attribute: str,
    *,
    alpha: float = 0.05,
    n_boot: int = 10_000,
    seed: int = 0,
    roles: np.ndarray | None = None,
) -> GapChange:
    """The gap of one attribute before and after, with its paired bootstrap test."""
    roles = correct_roles(items, frame) if roles is None else roles
    mask = frame.mask(attribute, "disambig") & (roles > 0)
    role = roles[mask]
    right = frame.correct[:, mask]
    columns = np.stack(
        [
            role == 1,
            role == 2,
            right[0] & (role == 1),
            right[0] & (role == 2),
            right[1] & (role == 1),
            right[1] & (role == 2),
        ],
        axis=1,
    ).astype(float)
    totals = columns.sum(0)
    nb, na = int(totals[0]), int(totals[1])
    acc = [None if not n else float(totals[k] / n) for k, n in ((2, nb), (3, na), (4, nb), (5, na))]
    n_clusters = int(np.unique(frame.cluster[mask]).size)
    base = GapChange(
        attribute,
        nb,
        na,
        (acc[0], acc[2]),
        (acc[1], acc[3]),
        None,
        None,
        None,
        None,
        None,
        n_clusters=n_clusters,
    )
    if not nb or not na:
        missing = "biased" if not nb else "anti-biased"
        return replace(
            base, reason=f"no disambiguated items whose correct answer is the {missing} option"
        )
    # every share is defined here (nb, na > 0): the same floats as ``acc``
    before = float(totals[2] / nb) - float(totals[3] / na)
    after = float(totals[4] / nb) - float(totals[5] / na)
    sums = cluster_sums(frame.cluster[mask], columns)
    reps = resample_totals(sums, n_boot, cell_rng(seed, "gap", attribute))
    deltas = _gap(reps, 1) - _gap(reps, 0)
    delta = after - before
    ci = percentile_ci(deltas, alpha)
    if (right[0] == right[1]).all():  # no item changed: the bootstrap's CI would be [0, 0]
        ci = gap_range(nb, na, int(totals[2]), int(totals[3]), movable(frame.cluster[mask], alpha))
    return replace(
        base,
        before=before,
        after=after,
        delta=delta,
        ci=ci,
        p=normal_p(delta, deltas, n_clusters),
        se=standard_error(deltas),
    )


def compare_gaps(
    items: Mapping[str, Item],
    frame: Frame,
    attributes: Iterable[str],
    *,
    correction: str = "holm",
    alpha: float = 0.05,
    n_boot: int = 10_000,
    seed: int = 0,
) -> tuple[GapChange, ...]:
    """Every attribute's gap, corrected over the gaps' own family."""
    roles = correct_roles(items, frame)
    gaps = [
        compare_gap(items, frame, a, alpha=alpha, n_boot=n_boot, seed=seed, roles=roles)
        for a in attributes
    ]
    tested = [(g.attribute, g.p) for g in gaps if g.p is not None]
    adjusted = dict(
        zip(
            [a for a, _ in tested],
            adjust([p for _, p in tested], correction).tolist(),
            strict=True,
        )
    )
    return tuple(
        replace(
            g,
            p_corrected=adjusted.get(g.attribute),
            marker=marker(g.delta, adjusted.get(g.attribute)),
        )
        for g in gaps
    )
