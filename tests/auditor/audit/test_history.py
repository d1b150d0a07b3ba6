"""Listing stored audits: a failed audit carries its error, a finished one none."""

from __future__ import annotations

from auditor.audit.history import list_audits
from auditor.store.db import Store


def test_a_failed_audit_lists_its_error_and_a_resumed_one_drops_it(tmp_path):
    with Store(tmp_path / "runs.sqlite") as store:
        audit = store.create_or_get_audit("k", {"name": "demo", "model": {"source": "m"}})
        store.update_audit(
            audit, status="failed", record={"error": "model folder /nope: not found"}
        )
        [row] = list_audits(store)
        assert (row["status"], row["error"]) == ("failed", "model folder /nope: not found")
        store.update_audit(audit, status="done")  # resumed and finished: the old error stays
        assert list_audits(store)[0]["error"] == ""  # in the record, but is not news
