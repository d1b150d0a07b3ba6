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
"""

from __future__ import annotations

from pathlib import Path

from auditor.audit.plan import audit_plan, replicate_seeds
from auditor.audit.profiles import Profile
from auditor.audit.result import AuditResult
from auditor.audit.runner import Ledger, Runner
from auditor.audit.selection import REPORT_ONLY, Selection, audit_key, plan_audit, preflight
from auditor.core.events import CancelToken, Message, Reporter
from auditor.store.db import Store
from auditor.store.records import ending_status, first_line, outcome

STAGES: tuple[str, ...] = ("baseline", "align", "aligned", "compare")
__all__ = [
    "REPORT_ONLY",
    "STAGES",
    "AuditResult",
    "audit_key",
    "plan_audit",
    "replicate_seeds",
    "run_audit",
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
) -> AuditResult | None:
    """Run (or resume) the audit of ``profile``; raises Cancelled when cancelled.

    ``plan``: the selection ``preflight`` returned (checked here otherwise, before
    anything is stored). A finished training run whose adapter is missing raises
    ``MissingAdapter`` unless ``retrain_missing`` or ``restore_adapter_from`` (the
    adapter, moved) says what to do; the audit's stored status is left as it was.

    Under a launcher every rank calls this; rank 0 alone passes the ``store`` (the others
    pass None and get None back): evaluations are sharded, training is distributed, and
    the statistics are computed on rank 0.
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

    def begin():
        audit_id = store.create_or_get_audit(
            audit_key(profile, selection.checksum), profile.to_dict()
        )
        folder = Path(out_root) if out_root else store.path.parent / "audits" / audit_id
        missing = missing_adapter(store, audit_id, folder)
        if missing is not None and restore_adapter_from is not None:
            where = restore_adapter(store, missing, restore_adapter_from)
            report(Message(f"restored the adapter of {missing.run_id} into {where}"))
        elif missing is not None and retrain_missing:
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

    audit_id, folder = distributed.lead(here, begin)
    ledger = Ledger(store if here.is_main else None, audit_id, here.is_main)
    try:
        return Runner(profile, stages, selection, ledger, folder, report, cancel).run()
    except BaseException as exc:
        ledger.write(status=ending_status(exc), record=outcome(error=first_line(exc)))
        raise
