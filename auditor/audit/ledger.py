"""The audit's record as the runner keeps it (rank 0 alone writes)."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.store.db import Store


@dataclass(frozen=True)
class Ledger:
    """The audit's record, kept by rank 0. Under a launcher every rank runs the plan, but
    only rank 0 (``main``) holds the store: ``read`` runs there and hands its answer to
    every rank, ``write`` is rank 0's alone."""

    store: Store | None
    audit_id: str
    main: bool

    def read(self, question):
        from auditor.models import distributed

        return distributed.lead(distributed.world(), question)

    def write(self, **fields) -> None:
        if self.main:
            self.store.update_audit(self.audit_id, **fields)

    def record(self):
        return self.store.audit(self.audit_id)

    def outcome(self):
        return self.record().outcome

    def done_run(self, run_id: str | None, adapter: str | None) -> bool:
        """Whether ``run_id`` is a finished run of ``adapter`` (rank 0 only)."""
        run = self.store.run(run_id) if run_id else None
        return bool(run and run.status == "done" and run.adapter == adapter)
