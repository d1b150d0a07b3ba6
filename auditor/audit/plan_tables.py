"""The comparison stage of an audit plan: the spillover table (pooled over the seed
replicates), the target on all its items, the option-order rotation (one paired measure
per seed), the format transfer and a trajectory's checkpoints (each against the
baseline), computed from the plan's runs and put in the audit's record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.audit.plan import AuditPlan, Pairing
from auditor.audit.profiles import Profile
from auditor.audit.selection import Selection
from auditor.core.answers import Answer
from auditor.core.events import CancelToken, Reporter, StageKey
from auditor.store.db import Store
from auditor.store.records import outcome

if TYPE_CHECKING:
    from auditor.stats.table import SpilloverTable

Ordered = dict[str, dict[str, Answer]]  # item id -> ordering -> answer


@dataclass(frozen=True)
class Compared:
    """What the comparison stage found, and the record it leaves."""

    table: SpilloverTable
    target_all: SpilloverTable | None
    record: dict[str, Any]
    transfer: SpilloverTable | None = None
    # seed -> RotationChange as a dict
    seed_rotations: dict[int, dict[str, Any] | None] = field(default_factory=dict)


def compare_plan(
    profile: Profile,
    plan: AuditPlan,
    selection: Selection,
    store: Store,
    runs: dict[StageKey, str],
    report: Reporter | None = None,
    cancel: CancelToken | None = None,
    pairings: Sequence[Pairing] | None = None,
) -> Compared:
    """Every comparison of ``plan`` (or the ``pairings`` of one of its candidates) on the
    runs its stages left (``runs``)."""
    found: dict[str, Any] = {}
    record: dict[str, Any] = {}
    points: list[dict[str, Any]] = []
    for pairing in plan.comparisons if pairings is None else pairings:
        before = runs[pairing.before]
        after = {k.seed: runs[k] for k in pairing.after}
        one: str | dict[int, str] = (  # a single run, or {seed: run id}
            after[None] if None in after else {s: r for s, r in after.items() if s is not None}
        )
        if pairing.name == "table":
            table, target_all = compare_runs(
                profile, selection, store, before, one, report, cancel, plan=plan
            )
            found.update(table=table, target_all=target_all)
            record.update(
                outcome(
                    table=table.to_dict(),
                    target_all=target_all.to_dict() if target_all else None,
                    heldout_ids=sorted(selection.heldout_ids),
                    eval_items=len(selection.eval_items),
                )
            )
        elif pairing.name == "rotation":
            base = rotated_on_table(profile, selection, store, before, plan)  # once, not per seed
            per_seed = {
                s: rotation_for_audit(
                    profile, selection, base, rotated_on_table(profile, selection, store, run, plan)
                )
                for s, run in after.items()
            }
            rotation = (
                per_seed[None]
                if None in per_seed
                else {
                    "orders": profile.eval.orders,
                    "seeds": {str(s): r for s, r in per_seed.items()},
                }
            )
            found["seed_rotations"] = {s: r for s, r in per_seed.items() if s is not None}
            record.update(outcome(rotation=rotation))
        elif pairing.name == "transfer":
            transfer, _ = compare_runs(profile, selection, store, before, one, plan=plan)
            first = one if isinstance(one, str) else one[plan.seeds[0]]
            stored: dict[str, Any] = {
                "format": pairing.format,
                "baseline": before,
                "aligned": first,
                "table": transfer.to_dict(),
            }
            if not isinstance(one, str):
                stored["seeds"] = {str(s): run for s, run in one.items()}
            found["transfer"] = transfer
            record.update(outcome(format_transfer=stored))
        elif pairing.name == "trajectory":
            table, _ = compare_runs(profile, selection, store, before, one)
            points.append({"step": pairing.after[0].step, "run": one, "table": table.to_dict()})
    if points:
        record.update(outcome(trajectory={"final_step": plan.final_step, "points": points}))
    return Compared(record=record, **found)


def compare_runs(
    profile: Profile,
    selection: Selection,
    store: Store,
    before: str,
    after: str | dict[int, str],
    report: Reporter | None = None,
    cancel: CancelToken | None = None,
    plan: AuditPlan | None = None,
) -> tuple[SpilloverTable, SpilloverTable | None]:
    """The audit's spillover table (target on held-out items) and the target on all items;
    ``after`` is one run id, or {training seed: run id} for a pooled table of replicates.
    A candidate audit's ``plan``: its named target, on every item (none was held out)."""
    from auditor.audit.comparison import compare, ordered_attributes

    s, target = profile.stats, _target(profile, plan)
    answers = (
        {seed: store.answers(run) for seed, run in after.items()}
        if isinstance(after, dict)
        else store.answers(after)
    )
    done = compare(
        selection.items,
        store.answers(before),
        answers,
        target=target,
        attributes=ordered_attributes(target, profile.data.attributes),
        heldout_ids=None if plan is not None and plan.candidates else selection.heldout_ids,
        correction=s.correction,
        alpha=s.alpha,
        n_boot=s.n_boot,
        seed=s.seed,
        accuracy_test=s.accuracy_test,
        reporter=report,
        cancel=cancel,
    )
    return done.table, done.target_all


def rotated_on_table(
    profile: Profile, selection: Selection, store: Store, run: str, plan: AuditPlan | None = None
) -> Ordered:
    """A rotated run's answers per ordering on the table's items (the target on its
    held-out items; a candidate audit holds no item out); empty when the audit did not
    rotate."""
    if profile.eval.orders == "none":
        return {}
    target = set() if plan is not None and plan.candidates else set(profile.align.target)
    return {
        i: v
        for i, v in store.order_answers(run).items()
        if selection.items[i].attribute not in target or i in selection.heldout_ids
    }


def rotation_for_audit(
    profile: Profile, selection: Selection, before: Ordered, after: Ordered
) -> dict[str, Any] | None:
    """Paired position bias and order consistency of two runs' rotated answers on the
    table's items (``rotated_on_table``), as a dict; None when the audit did not rotate."""
    from auditor.stats.position import compare_rotation

    if profile.eval.orders == "none":
        return None
    s = profile.stats
    return compare_rotation(
        selection.items,
        before,
        after,
        orders=profile.eval.orders,
        alpha=s.alpha,
        n_boot=s.n_boot,
        seed=s.seed,
    ).to_dict()


def _target(profile: Profile, plan: AuditPlan | None) -> tuple[str, ...]:
    return tuple(plan.target) if plan is not None and plan.candidates else profile.align.target
