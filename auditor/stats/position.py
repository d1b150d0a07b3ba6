"""Position bias and order consistency of runs scored in several option orders.

Input: per item, its answers keyed by ordering ('120': option 1 at A, 2 at B, 0 at C),
each answer already in the item's own option indices.

- **Position bias**: how often each letter position was chosen, against the share the
  correct answers' positions give (uniform under full rotation). Its size is the total
  variation distance ``½·Σ|chosen share − expected share|``: 0 = no lean, at most
  ``1 − min(expected share)`` (always choosing the least expected position). The p-value
  is scipy's χ² goodness-of-fit test of the chosen counts against the expected ones.
- **Order consistency**: the share of items answered with the same option in every
  ordering.

Before/after: consistency is paired on items by an exact McNemar test; the change in the
position-bias distance by a paired cluster bootstrap over template instances (the
resampling of the bias score), percentile CI and p = 2·Φ(−|Δ|/SE).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from auditor.core.answers import Answer
from auditor.core.items import Item
from auditor.stats.bootstrap import (
    cell_rng,
    cluster_sums,
    normal_p,
    percentile_ci,
    resample_totals,
    standard_error,
)
from auditor.stats.mcnemar import mcnemar_exact

OrderAnswers = Mapping[str, Mapping[str, Answer]]
"""item id → ordering key → answer in the item's own option indices."""


@dataclass(frozen=True, slots=True)
class PositionBias:
    """Chosen letter positions of one run (A, B, C): counts, shares, the shares expected
    from the correct answers' positions, the distance between them and the χ² test."""

    n: int
    chosen: tuple[int, ...]
    shares: tuple[float, ...] | None
    expected: tuple[float, ...] | None
    distance: float | None
    max_distance: float | None
    chi2: float | None
    p: float | None


@dataclass(frozen=True, slots=True)
class Consistency:
    """``consistent`` of ``n`` items answered with the same option in every ordering."""

    n: int
    consistent: int
    share: float | None


def positions(key: str, option: int) -> int:
    """The letter position (0 = A) of ``option`` in ordering ``key``."""
    return key.index(str(option))


def bias_from_counts(chosen: npt.ArrayLike, correct: npt.ArrayLike) -> PositionBias:
    """Position bias from per-position counts of chosen answers and of correct answers."""
    from scipy.stats import chisquare

    chosen_n = np.asarray(chosen, dtype=float)
    correct_n = np.asarray(correct, dtype=float)
    n = int(chosen_n.sum())
    counts = tuple(int(c) for c in chosen_n)
    if n == 0 or correct_n.sum() == 0:
        return PositionBias(n, counts, None, None, None, None, None, None)
    shares, expected = chosen_n / n, correct_n / correct_n.sum()
    chi2 = p = None
    if (expected > 0).all():  # a position no correct answer holds: no χ² test
        test = chisquare(chosen_n, f_exp=expected * n)
        chi2, p = float(test.statistic), float(test.pvalue)
    return PositionBias(
        n,
        counts,
        tuple(shares.tolist()),
        tuple(expected.tolist()),
        float(0.5 * np.abs(shares - expected).sum()),
        float(1.0 - expected.min()),
        chi2,
        p,
    )


def _columns(
    items: Mapping[str, Item], runs: Sequence[OrderAnswers], pairs: Sequence[tuple[str, str]]
) -> np.ndarray:
    """One row per (item, ordering): one-hot chosen position of each run, then one-hot
    correct position. ``pairs`` come from `_valid_pairs`: every answer in them is valid."""
    eye = np.eye(3)
    rows = []
    for item_id, key in pairs:
        chosen = [eye[positions(key, cast(int, run[item_id][key].predicted))] for run in runs]
        rows.append(np.concatenate([*chosen, eye[positions(key, items[item_id].label)]]))
    return np.array(rows).reshape(len(rows), 3 * (len(runs) + 1))


def _valid_pairs(*runs: OrderAnswers) -> list[tuple[str, str]]:
    first = runs[0]
    return [
        (i, k)
        for i in first
        for k in first[i]
        if all(i in r and k in r[i] and r[i][k].predicted is not None for r in runs)
    ]


def position_bias(items: Mapping[str, Item], run: OrderAnswers) -> PositionBias:
    """The position bias of one run over its validly answered item orderings."""
    cols = _columns(items, [run], _valid_pairs(run))
    return bias_from_counts(cols[:, 0:3].sum(0), cols[:, 3:6].sum(0))


def consistent_items(run: OrderAnswers, per_item: int | None = None) -> dict[str, bool]:
    """Per item with all its orderings (``per_item``, default the most any item has):
    was every ordering answered, validly, with the same option?"""
    per_item = per_item or max((len(v) for v in run.values()), default=0)
    return {
        item_id: len({a.predicted for a in orders.values()}) == 1
        and next(iter(orders.values())).predicted is not None
        for item_id, orders in run.items()
        if len(orders) == per_item
    }


def consistency(run: OrderAnswers) -> Consistency:
    """The run's order consistency over the items with all their orderings."""
    return _share(consistent_items(run))


def _share(flags: Mapping[str, bool]) -> Consistency:
    n, k = len(flags), sum(flags.values())
    return Consistency(n, k, k / n if n else None)


@dataclass(frozen=True, slots=True)
class RotationChange:
    """Position bias and order consistency before and after alignment, paired: position
    bias on the item orderings both runs answered validly, consistency on the items both
    runs answered in every ordering."""

    orders: str
    n_orderings: int
    position_before: PositionBias
    position_after: PositionBias
    distance_delta: float | None
    distance_ci: tuple[float, float] | None
    distance_p: float | None
    distance_se: float | None
    n_clusters: int
    consistency_before: Consistency
    consistency_after: Consistency
    consistency_delta: float | None
    b: int  # consistent before, not after
    c: int  # consistent after, not before
    consistency_p: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare_rotation(
    items: Mapping[str, Item],
    before: OrderAnswers,
    after: OrderAnswers,
    *,
    orders: str,
    alpha: float = 0.05,
    n_boot: int = 10_000,
    seed: int = 0,
) -> RotationChange:
    """Paired position bias and order consistency of two rotated runs."""
    pairs = _valid_pairs(before, after)
    cols = _columns(items, [before, after], pairs)
    pb = bias_from_counts(cols[:, 0:3].sum(0), cols[:, 6:9].sum(0))
    pa = bias_from_counts(cols[:, 3:6].sum(0), cols[:, 6:9].sum(0))
    templates = [items[i].template for i, _ in pairs]
    n_clusters = len(set(templates))
    delta = ci = p = se = None
    if pb.distance is not None and pa.distance is not None:
        delta = pa.distance - pb.distance
        codes = np.unique(np.array(templates, dtype=object), return_inverse=True)[1].ravel()
        totals = resample_totals(
            cluster_sums(codes, cols), n_boot, cell_rng(seed, "rotation", orders)
        )
        deltas = _distance(totals[:, 3:6], totals[:, 6:9]) - _distance(
            totals[:, 0:3], totals[:, 6:9]
        )
        ci, se, p = (
            percentile_ci(deltas, alpha),
            standard_error(deltas),
            normal_p(delta, deltas, n_clusters),
        )
    per_item = max((len(v) for v in before.values()), default=0)
    flags_b, flags_a = consistent_items(before, per_item), consistent_items(after, per_item)
    both = [i for i in flags_b if i in flags_a]
    cb = _share({i: flags_b[i] for i in both})
    ca = _share({i: flags_a[i] for i in both})
    b = sum(flags_b[i] and not flags_a[i] for i in both)
    c = sum(flags_a[i] and not flags_b[i] for i in both)
    return RotationChange(
        orders=orders,
        n_orderings=per_item,
        position_before=pb,
        position_after=pa,
        distance_delta=delta,
        distance_ci=ci,
        distance_p=p,
        distance_se=se,
        n_clusters=n_clusters,
        consistency_before=cb,
        consistency_after=ca,
        consistency_delta=(
            None if ca.share is None or cb.share is None else ca.share - cb.share
        ),  # both None exactly when no item is in ``both``
        b=b,
        c=c,
        consistency_p=mcnemar_exact(b, c) if both else None,
    )


def _distance(chosen: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """Total-variation distance per row of position counts (NaN for a row with none)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = chosen / chosen.sum(1, keepdims=True)
        expected = correct / correct.sum(1, keepdims=True)
        distance: np.ndarray = 0.5 * np.abs(shares - expected).sum(1)
    return distance
