"""The audit's ledger: rank 0 holds the store; off rank 0 it writes nothing and asking it
for the store is refused in words, not an AttributeError on None."""

from __future__ import annotations

import pytest

from auditor.audit.ledger import Ledger
from auditor.audit.result import result_of
from auditor.core.errors import InputError
from auditor.store.db import Store
from auditor.store.records import outcome


def test_off_rank_zero_the_ledger_writes_nothing_and_holds_no_store():
    ledger = Ledger(None, "audit-x", main=False)
    ledger.write(status="running")  # a no-op off rank 0, as before
    with pytest.raises(RuntimeError, match="audit-x: only rank 0 holds the store"):
        ledger.record()
    with pytest.raises(RuntimeError, match="only rank 0"):
        ledger.done_run("run-1", None)


def test_on_rank_zero_the_ledger_writes_and_reads_its_record(tmp_path):
    with Store(tmp_path / "runs.sqlite") as store:
        audit_id = store.create_or_get_audit("k", {"name": "p"})
        run_b, run_c = (store.create_or_get_run("eval", k, model="m") for k in ("b", "c"))
        ledger = Ledger(store, audit_id, main=True)
        assert ledger.db is store
        ledger.write(baseline_run=run_b, record=outcome(bbq="lite"))
        ledger.remember_transfer("cloze", "baseline", run_c)
        assert ledger.record().baseline_run == run_b
        assert ledger.outcome().bbq == "lite"
        assert ledger.outcome().transfer_runs == {"cloze": {"baseline": run_c}}
        assert ledger.read(lambda: ledger.record().baseline_run) == run_b  # one process
        assert not ledger.done_run(None, None)
        assert not ledger.done_run(run_b, None)  # created, not done


def test_a_done_record_without_its_runs_is_refused_in_one_line(tmp_path):
    with Store(tmp_path / "runs.sqlite") as store:
        audit_id = store.create_or_get_audit("k", {"name": "p"})
        store.update_audit(audit_id, status="done", record=outcome(table={"seeds": []}))
        with pytest.raises(InputError, match="names no baseline or aligned run"):
            result_of(store.audit(audit_id))
