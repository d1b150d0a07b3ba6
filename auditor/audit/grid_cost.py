"""What a profile's spillover matrix costs: trainings, evaluations and, when the store
holds finished runs of the same model to measure them from, seconds per training step
(per method) and per evaluated item on this machine. Nothing is estimated without a
measurement.

- seconds per step: a finished training run's ``train_runtime`` over the steps that
  session trained (``session_steps``; runs stored before it was recorded are not used),
  the median over the model's runs of that method;
- seconds per item: a finished evaluation's scoring time over the items it scored
  (``timing`` in its record, summed over its sessions; model loading not counted), the
  median over the model's runs in the same scoring mode and option orders — measured
  apart for the profile's format and each untrained format (``[eval] transfer``), since
  rotation scores an item 3 or 6 times and cloze scores each option's text.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from auditor.audit.profiles import Profile

if TYPE_CHECKING:
    from auditor.store.db import Store


@dataclass(frozen=True)
class Measured:
    seconds: float
    runs: int  # finished runs it was measured from


@dataclass(frozen=True)
class GridCost:
    methods: tuple[str, ...]
    targets: tuple[str, ...]
    seeds: int
    recipes: int
    trainings: int
    evaluations: int  # the shared baseline + one aligned evaluation per training (+ checkpoints)
    items: int  # items per evaluation
    steps: int | None  # steps per training (max_steps); None: set by epochs and data
    per_step: dict[str, Measured | None]  # method -> measured seconds per step
    per_item: Measured | None  # the profile's format (mode and orders)
    formats: tuple[FormatCost, ...] = ()  # every format evaluated, the profile's first
    checkpoints: int = 0  # a trajectory's checkpoint evaluations (in ``evaluations``)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def scoring_seconds(self) -> float | None:
        """Measured seconds of scoring over every evaluation; None when a format is
        unmeasured."""
        rates = [f.per_item for f in self.formats]
        if not rates or None in rates:
            return None
        return sum(
            m.seconds * self.items * f.evaluations
            for f, m in zip(self.formats, rates, strict=True)
            if m is not None
        )


@dataclass(frozen=True)
class FormatCost:
    """The evaluations of one format (scoring mode and option orders) and its measured
    seconds per item."""

    mode: str
    orders: str
    evaluations: int
    per_item: Measured | None


def grid_cost(profile: Profile, items: int, store: Store | None = None) -> GridCost:
    """The grid's counts, and the measured costs from ``store`` (None: nothing measured)."""
    from auditor.audit.candidate_settings import is_candidate_audit
    from auditor.audit.plan_refusals import trajectory_steps

    a = profile.align
    if is_candidate_audit(profile):  # no training: the baseline and one per candidate
        n = len(profile.candidate.models) + len(profile.candidate.adapters)
        formats = _formats(store, profile, 1 + n)
        return GridCost((), (), 1, 1, 0, 1 + n, items, None, {}, formats[0].per_item, formats)
    methods = a.methods or (a.method,)
    targets = a.targets or ("+".join(a.target),)
    seeds = len(a.seeds) if len(a.seeds) > 1 else 1
    trainings = len(methods) * len(targets) * seeds
    per_step = {m: _per_step(store, profile, m) for m in methods}
    checkpoints = len(trajectory_steps(a)) * trainings
    formats = _formats(store, profile, 1 + trainings, checkpoints)
    return GridCost(
        tuple(methods),
        tuple(targets),
        seeds,
        len(methods) * len(targets),
        trainings,
        1 + trainings + checkpoints,
        items,
        a.max_steps if a.max_steps > 0 else None,
        per_step,
        formats[0].per_item,
        formats,
        checkpoints,
    )


def _formats(
    store: Store | None, profile: Profile, evaluations: int, checkpoints: int = 0
) -> tuple[FormatCost, ...]:
    """The profile's format then each untrained one, ``evaluations`` of each; the
    checkpoints are evaluated in the profile's own format only."""
    e = profile.eval
    return tuple(
        FormatCost(mode, orders, evaluations + extra, _per_item(store, profile, mode, orders))
        for mode, orders, extra in (
            (e.mode, e.orders, checkpoints),
            *((f, "none", 0) for f in e.transfer),
        )
    )


def _per_step(store: Store | None, profile: Profile, method: str) -> Measured | None:
    if store is None:
        return None
    found = []
    for run in store.runs("train"):
        metrics = (run.record or {}).get("metrics", {})
        steps, runtime = metrics.get("session_steps"), metrics.get("train_runtime")
        if (
            run.status == "done"
            and run.model == profile.model.source
            and run.settings.get("method", "dpo") == method
            and steps
            and runtime
        ):
            found.append(runtime / steps)
    return Measured(statistics.median(found), len(found)) if found else None


def _per_item(store: Store | None, profile: Profile, mode: str, orders: str) -> Measured | None:
    if store is None:
        return None
    found = []
    for run in store.runs("eval"):
        timing = (run.record or {}).get("timing") or {}
        if (
            run.status == "done"
            and run.model == profile.model.source
            and run.mode == mode
            and (run.settings.get("orders") or "none") == orders
            and timing.get("items")
        ):
            found.append(timing["seconds"] / timing["items"])
    return Measured(statistics.median(found), len(found)) if found else None
