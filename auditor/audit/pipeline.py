"""The audit: baseline evaluation → DPO on the target → aligned evaluation → comparison.

``run_audit`` opens (or finds) the audit's record, then executes its plan
(``plan.audit_plan``) with the ``runner``. Every stage is stored. The audit id is derived
from the resolved profile and the data, so rerunning the same audit after a kill continues
where it stopped and never redoes a finished stage (evaluation skips stored batches,
training resumes from its checkpoint).

With ``[align] seeds`` (two or more), the align and aligned stages (and the aligned
model's untrained formats) run once per training seed — each seed its own adapter on the
same training split, its own evaluation — after one baseline evaluation; every replicate
is a typed link in the audit's record, reused on a rerun, and the comparison pools them.

A candidate audit (``run_candidates``) keeps one audit record per candidate, keyed by the
candidate and the items; the baseline evaluation is shared, no training runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.audit.ledger import Ledger
from auditor.audit.plan import AuditPlan, audit_plan, replicate_seeds
from auditor.audit.profiles import Profile
from auditor.audit.result import AuditResult
from auditor.audit.runner import Runner
from auditor.audit.selection import REPORT_ONLY, Selection, audit_key, plan_audit, preflight
from auditor.core.errors import first_line
from auditor.core.events import CancelToken, Message, Reporter
from auditor.store.db import Store
from auditor.store.records import ending_status, outcome

STAGES: tuple[str, ...] = ("baseline", "align", "aligned", "compare")
__all__ = [
    "REPORT_ONLY",
    "STAGES",
    "AuditResult",
    "audit_key",
    "plan_audit",
    "replicate_seeds",
    "run_audit",
    "run_candidates",
]  # the names callers import from here


def run_audit(
    profile: Profile,
    *,
    store: Store | None,
    bbq: str | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    out_root: str | Path | None = None,
    plan: Selection | None = None,
    retrain_missing: bool = False,
    restore_adapter_from: str | Path | None = None,
    into: list[AuditResult] | None = None,
) -> AuditResult | None:
    """Run (or resume) the audit of ``profile``; raises Cancelled when cancelled.

    ``plan``: the selection ``preflight`` returned (checked here otherwise, before
    anything is stored). A finished training run whose adapter is missing raises
    ``MissingAdapter`` unless ``retrain_missing`` or ``restore_adapter_from`` (the
    adapter, moved) says what to do; the audit's stored status is left as it was.

    Under a launcher every rank calls this; rank 0 alone passes the ``store`` (the others
    pass None and get None back): evaluations are sharded, training is distributed, and
    the statistics are computed on rank 0. ``into``: gets every comparison's result (a
    candidate audit's, one per candidate).
    """
    from auditor.audit.preflight import missing_adapter, restore_adapter
    from auditor.core.events import null_reporter
    from auditor.models import distributed

    here = distributed.world()
    if here.is_main and store is None:
        raise ValueError("run_audit: rank 0 needs the store")
    report = (reporter or null_reporter) if here.is_main else null_reporter
    stages = audit_plan(profile)  # a combination it cannot run completely: refused here
    if here.parallel:
        from auditor.models.loading import resolve_device

        distributed.start(resolve_device(profile.model.device))
    selection = plan or preflight(profile, bbq)  # settings, model and data, before storing

    def begin() -> tuple[str | dict[str, str], Path]:
        assert store is not None  # begin runs on rank 0, which was checked to hold it
        if stages.candidates:
            return candidate_records(store, profile, stages, selection, out_root)
        audit_id = store.create_or_get_audit(
            audit_key(profile, selection.checksum), profile.to_dict()
        )
        folder = Path(out_root) if out_root else store.path.parent / "audits" / audit_id
        missing = missing_adapter(store, audit_id, folder)
        if missing is not None and restore_adapter_from is not None:
            where = restore_adapter(store, missing, restore_adapter_from)
            report(Message(f"restored the adapter of {missing.run_id} into {where}"))
        elif missing is not None and retrain_missing:  # trained here: not copied from elsewhere
            store.update_run(missing.run_id, record={"adapter_dir": str(missing.expected)})
            report(
                Message(
                    f"training {missing.run_id} again: its adapter was missing from "
                    f"{missing.expected}"
                )
            )
        elif missing is not None:
            raise missing
        store.update_audit(audit_id, status="running", record=outcome(bbq=str(selection.source)))
        return audit_id, folder

    audit_ids, folder = distributed.lead(here, begin)
    ids = audit_ids if isinstance(audit_ids, dict) else {"": audit_ids}
    ledgers = {k: Ledger(store if here.is_main else None, v, here.is_main) for k, v in ids.items()}
    ledger = next(iter(ledgers.values()))
    runner = Runner(profile, stages, selection, ledger, folder, report, cancel, ledgers)
    try:
        result = runner.run()
    except BaseException as exc:
        for each in ledgers.values():  # a candidate already compared stays done
            if not (each.main and stages.candidates and each.record().status == "done"):
                each.write(status=ending_status(exc), record=outcome(error=first_line(exc)))
        raise
    if into is not None:
        into.extend(runner.results)
    return result


def run_candidates(
    profile: Profile, *, store: Store | None, **kwargs: Any
) -> tuple[AuditResult, ...]:
    """Run (or resume) a candidate audit (``run_audit``'s arguments); one result per
    candidate, in the plan's order (rank 0; () on the other ranks)."""
    results: list[AuditResult] = []
    run_audit(profile, store=store, into=results, **kwargs)
    return tuple(results)


def candidate_records(
    store: Store,
    profile: Profile,
    plan: AuditPlan,
    selection: Selection,
    out_root: str | Path | None,
) -> tuple[dict[str, str], Path]:
    """Each candidate's audit record (created, or found by its key), marked running."""
    ids: dict[str, str] = {}
    for c in plan.candidates:
        ids[c.label] = store.create_or_get_audit(
            audit_key(profile, selection.checksum, c), profile.to_dict()
        )
        store.update_audit(
            ids[c.label],
            status="running",
            record=outcome(bbq=str(selection.source), candidate=c.to_dict(), error=""),
        )
    first = next(iter(ids.values()))
    return ids, Path(out_root) if out_root else store.path.parent / "audits" / first
