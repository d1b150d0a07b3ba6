"""The audit's record as the runner keeps it (rank 0 alone writes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from auditor.store.db import Store
from auditor.store.records import AuditOutcome, AuditRecord, ReplicateLink, outcome

if TYPE_CHECKING:
    from auditor.align.train import AlignResult

T = TypeVar("T")


@dataclass(frozen=True)
class Ledger:
    """The audit's record, kept by rank 0. Under a launcher every rank runs the plan, but
    only rank 0 (``main``) holds the store: ``read`` runs there and hands its answer to
    every rank, ``write`` is rank 0's alone."""

    store: Store | None
    audit_id: str
    main: bool

    @property
    def db(self) -> Store:
        """The store; asking for it off rank 0 is a programming error."""
        if self.store is None:
            raise RuntimeError(f"audit {self.audit_id}: only rank 0 holds the store")
        return self.store

    def read(self, question: Callable[[], T]) -> T:
        from auditor.models import distributed

        answer: T = distributed.lead(distributed.world(), question)
        return answer

    def write(self, **fields: Any) -> None:
        if self.main:
            self.db.update_audit(self.audit_id, **fields)

    def record(self) -> AuditRecord:
        return self.db.audit(self.audit_id)

    def outcome(self) -> AuditOutcome:
        return self.record().outcome

    def done_run(self, run_id: str | None, adapter: str | None) -> bool:
        """Whether ``run_id`` is a finished run of ``adapter`` (rank 0 only)."""
        run = self.db.run(run_id) if run_id else None
        return bool(run and run.status == "done" and run.adapter == adapter)

    def remember_transfer(self, fmt: str, stage: str, run_id: str) -> None:
        """A run in the untrained format ``fmt`` ("baseline" or "aligned" ``stage``)."""
        runs = self.outcome().transfer_runs
        self.write(
            record=outcome(transfer_runs={**runs, fmt: {**runs.get(fmt, {}), stage: run_id}})
        )

    def remember_replicate(
        self, trained: AlignResult, seed: int, first_seed: int, fmt: str, run_id: str
    ) -> None:
        """A seed's aligned run (or its run in ``fmt``) into its typed link, ``trained``
        being the seed's training; the audit's run columns name the first seed's runs."""
        links = {link.seed: link for link in self.outcome().replicate_links()}
        link = links.get(seed)
        if link is None or link.train_run != trained.run_id:
            link = ReplicateLink(seed, trained.run_id, "", str(trained.adapter_dir))
        link = (
            replace(link, transfer={**link.transfer, fmt: run_id})
            if fmt
            else replace(link, aligned_run=run_id, transfer={}, rotation=None)
        )
        links[seed] = link
        first = links.get(first_seed)
        columns = {"train_run": first.train_run, "aligned_run": first.aligned_run} if first else {}
        self.write(
            **columns,
            record=outcome(
                replicates={str(s): v.to_json() for s, v in sorted(links.items())},
                adapter_dir=first.adapter_dir if first else "",
            ),
        )
