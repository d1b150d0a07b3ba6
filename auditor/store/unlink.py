"""Which runs an audit's deletion takes with it: those no other audit links to."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from auditor.core.errors import InputError
from auditor.store.records import AuditRecord


def _record(row: sqlite3.Row | tuple[Any, ...], names: list[str]) -> AuditRecord:
    data = dict(zip(names, row, strict=True))
    for name in ("profile", "record"):
        if isinstance(data.get(name), str):
            data[name] = json.loads(data[name])
    return AuditRecord.from_row(data)


def unlinked_runs(db: sqlite3.Connection, audit_id: str, path: Path) -> list[str]:
    """The runs ``audit_id`` links to that no other audit does, in link order (read in the
    caller's transaction); InputError when there is no such audit."""
    cursor = db.execute("SELECT * FROM audits")
    names = [c[0] for c in cursor.description]
    audits = [_record(row, names) for row in cursor.fetchall()]
    mine = next((a for a in audits if a.id == audit_id), None)
    if mine is None:
        raise InputError(f"store {path}: no audit {audit_id}")
    used = {link.run_id for a in audits if a.id != audit_id for link in a.links()}
    return [link.run_id for link in mine.links() if link.run_id not in used]
