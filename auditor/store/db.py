"""The run store: one SQLite file (WAL) holding runs, every answered item, training logs
and audits.

Run ids are derived from a key (model, adapter, mode, template, data...), so rerunning
the same work finds the same run and skips the items already stored: a run killed at any
point resumes where its last committed batch left it. Each batch is one transaction.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from auditor.core.errors import InputError
from auditor.store import liveness
from auditor.store.answers import AnswerTables
from auditor.store.opening import TABLES, check_kind, connect, is_locked, locked_error, migrate
from auditor.store.provenance import provenance
from auditor.store.records import AuditRecord, RunRecord
from auditor.store.transaction import Transaction

__all__ = ["TABLES", "Store", "default_store_path", "make_id", "provenance"]

RUN_FIELDS = (
    "model", "adapter", "settings", "data_checksum", "mode", "template",
    "versions", "git_commit", "total", "record", "status",
)  # fmt: skip
AUDIT_FIELDS = ("status", "baseline_run", "train_run", "aligned_run", "record")
_JSON = {"settings", "versions", "record", "profile", "scores", "metrics"}


def default_store_path() -> Path:
    """$SPILLOVER_STORE, else runs.sqlite in the platform data dir."""
    import os

    import platformdirs

    env = os.environ.get("SPILLOVER_STORE")
    return Path(env) if env else Path(platformdirs.user_data_dir("spillover")) / "runs.sqlite"


def make_id(kind: str, key: str) -> str:
    """The deterministic id of the run (or audit) of ``kind`` identified by ``key``."""
    return f"{kind}-{hashlib.sha256(f'{kind}|{key}'.encode()).hexdigest()[:16]}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")  # noqa: UP017 (py3.10)


class Store(AnswerTables):
    """A run store at ``path`` (created on first use). A context manager; one writer at a
    time per process (calls are serialised by a lock), any number of readers.

    ``readonly`` opens an existing store without ever writing to it (no schema change,
    no WAL switch; a store in a folder this user cannot write is read from a private copy
    of it and its WAL). Any SQLite file that is not a spillover store is refused, never
    given spillover's tables. A store this object created is removed again when the
    ``with`` block fails before anything was stored in it. While a run or an audit is
    ``running`` here, this process holds its liveness lock (`liveness`).
    """

    def __init__(self, path: str | Path, *, readonly: bool = False):
        self.path = Path(path).expanduser()
        self.readonly = readonly
        if not str(path).strip():
            raise InputError("store: empty path; pass --store FILE")
        if self.path.exists() and not self.path.is_file():
            raise InputError(f"store {self.path}: not a regular file")
        self._created = not self.path.exists()
        if readonly and self._created:
            raise InputError(f"store {self.path}: no such file")
        if not readonly:
            import os

            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError(
                    f"store {self.path}: cannot create its folder ({exc.strerror})"
                ) from None
            if not self._created and not os.access(self.path, os.W_OK):
                raise InputError(
                    f"store {self.path}: read-only file; this command stores "
                    "results, pass a writable --store"
                )
        self._lock = threading.RLock()
        self._tx_depth = 0  # transactions whose body is running (see Transaction)
        self._held: dict[str, int | None] = {}  # work id -> liveness lock descriptor
        self._copy_dir: Path | None = None
        started = time.monotonic()
        try:
            self._db, self._copy_dir = connect(self.path, readonly)
            self._db.row_factory = sqlite3.Row
            check_kind(self._db, self.path, readonly)  # before anything could change a foreign file
            if not readonly:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            if not readonly:
                with self._tx():
                    migrate(self._db, self.path)
        except sqlite3.DatabaseError as exc:
            self._drop_copy()
            if is_locked(exc):
                raise locked_error(self.path, time.monotonic() - started) from None
            raise InputError(f"store {self.path}: not a usable SQLite file ({exc})") from exc
        except BaseException:
            self._drop_copy()
            raise

    # -- plumbing -------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _tx(self) -> Transaction:
        return Transaction(self)

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_decode(dict(r)) for r in rows]

    def _touch(self, db: sqlite3.Connection, run_id: str) -> None:
        db.execute("UPDATE runs SET updated = ? WHERE id = ?", (_now(), run_id))

    def _drop_copy(self) -> None:
        if self._copy_dir is not None:
            shutil.rmtree(self._copy_dir, ignore_errors=True)
            self._copy_dir = None

    def close(self) -> None:
        with self._lock:
            for work_id in list(self._held):
                liveness.release(self.path, work_id, self._held.pop(work_id))
            self._db.close()
            self._drop_copy()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        empty = self._created and exc_type is not None and not self.runs() and not self.audits()
        self.close()
        if empty:  # a failed command leaves no new, empty store behind
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    # -- liveness -------------------------------------------------------------------
    def _mark_live(self, work_id: str, status: str | None) -> None:
        """Hold the work's liveness lock while its status is ``running`` (taken before the
        status is stored, dropped after another is)."""
        if status == "running" and not self.readonly and work_id not in self._held:
            try:
                self._held[work_id] = liveness.hold(self.path, work_id)
            except OSError as exc:
                where = liveness.lock_path(self.path, work_id)
                raise InputError(
                    f"store {self.path}: cannot write the lock file {where} "
                    f"({exc.strerror or exc}); pass a writable --store"
                ) from None

    def _unmark_live(self, work_id: str, status: str | None) -> None:
        if status is not None and status != "running" and work_id in self._held:
            liveness.release(self.path, work_id, self._held.pop(work_id))

    def _live(self, row: dict[str, Any]) -> dict[str, Any]:
        if row.get("status") == "running":
            row["live"] = liveness.is_live(self.path, row["id"])
        return row

    # -- runs -----------------------------------------------------------------------
    def create_or_get_run(self, kind: str, key: str, **fields: Any) -> str:
        """The id of the run for (kind, key), creating it with ``fields`` if new.

        Fields: model, adapter, settings (dict), data_checksum, mode, template,
        versions (dict), git_commit, total, record (dict), status. An existing run keeps
        its fields.
        """
        unknown = set(fields) - set(RUN_FIELDS)
        if unknown:
            raise TypeError(f"unknown run fields: {sorted(unknown)}")
        run_id, stamp = make_id(kind, key), _now()
        cols = {"id": run_id, "kind": kind, "key": key, "created": stamp, "updated": stamp}
        cols.update({k: _encode(k, v) for k, v in fields.items()})
        names = ", ".join(cols)
        marks = ", ".join("?" * len(cols))
        with self._tx() as db:
            db.execute(
                f"INSERT OR IGNORE INTO runs ({names}) VALUES ({marks})", list(cols.values())
            )
        return run_id

    def update_run(
        self, run_id: str, status: str | None = None, record: dict[str, Any] | None = None
    ) -> None:
        """Set the status and/or merge ``record`` (shallow) into the run's record."""
        self._mark_live(run_id, status)
        try:
            with self._tx() as db:
                row = db.execute("SELECT record FROM runs WHERE id = ?", (run_id,)).fetchone()
                if row is None:
                    raise InputError(f"store {self.path}: no run {run_id}")
                merged = {**json.loads(row["record"]), **(record or {})}
                db.execute(
                    "UPDATE runs SET status = COALESCE(?, status), record = ?, updated = ? "
                    "WHERE id = ?",
                    (status, json.dumps(merged), _now(), run_id),
                )
        except BaseException:
            self._unmark_live(run_id, "failed" if status == "running" else None)
            raise
        self._unmark_live(run_id, status)

    def run(self, run_id: str) -> RunRecord:
        """The run, with ``done`` (answers stored)."""
        rows = self._query(
            "SELECT r.*, (SELECT COUNT(*) FROM answers a WHERE a.run_id = r.id) AS done "
            "FROM runs r WHERE r.id = ?",
            (run_id,),
        )
        if not rows:
            raise InputError(f"store {self.path}: no run {run_id}")
        return RunRecord.from_row(self._live(rows[0]))

    def runs(self, kind: str | None = None) -> list[RunRecord]:
        """All runs (of ``kind``), newest first, each with its ``done`` count."""
        where, args = ("WHERE r.kind = ?", (kind,)) if kind else ("", ())
        return [
            RunRecord.from_row(self._live(row))
            for row in self._query(
                "SELECT r.*, (SELECT COUNT(*) FROM answers a WHERE a.run_id = r.id) AS done "
                f"FROM runs r {where} ORDER BY r.created DESC, r.id",
                args,
            )
        ]

    # -- audits ---------------------------------------------------------------------
    def create_or_get_audit(self, key: str, profile: dict[str, Any]) -> str:
        """The id of the audit identified by ``key``, created with ``profile`` if new."""
        audit_id, stamp = make_id("audit", key), _now()
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO audits (id, key, profile, created, updated) "
                "VALUES (?, ?, ?, ?, ?)",
                (audit_id, key, json.dumps(profile), stamp, stamp),
            )
        return audit_id

    def update_audit(self, audit_id: str, **fields: Any) -> None:
        """Set status / baseline_run / train_run / aligned_run; merge ``record``."""
        unknown = set(fields) - set(AUDIT_FIELDS)
        if unknown:
            raise TypeError(f"unknown audit fields: {sorted(unknown)}")
        current = self._audit_row(audit_id)
        if "record" in fields:
            fields["record"] = {**current["record"], **(fields["record"] or {})}
        sets = ", ".join(f"{k} = ?" for k in fields)
        args = [_encode(k, v) for k, v in fields.items()] + [_now(), audit_id]
        status = fields.get("status")
        self._mark_live(audit_id, status)
        try:
            with self._tx() as db:
                db.execute(
                    f"UPDATE audits SET {sets}{', ' if sets else ''}updated = ? WHERE id = ?", args
                )
        except BaseException:
            self._unmark_live(audit_id, "failed" if status == "running" else None)
            raise
        self._unmark_live(audit_id, status)

    def _audit_row(self, audit_id: str) -> dict[str, Any]:
        rows = self._query("SELECT * FROM audits WHERE id = ?", (audit_id,))
        if not rows:
            raise InputError(f"store {self.path}: no audit {audit_id}")
        return rows[0]

    def audit(self, audit_id: str) -> AuditRecord:
        return AuditRecord.from_row(self._live(self._audit_row(audit_id)))

    def audits(self) -> list[AuditRecord]:
        """All audits, newest first."""
        return [
            AuditRecord.from_row(self._live(row))
            for row in self._query("SELECT * FROM audits ORDER BY created DESC, id")
        ]

    def delete_audit(self, audit_id: str) -> list[str]:
        """Delete an audit and those of its runs (with their answers and logs) that no
        other audit links to (``AuditRecord.links``: run columns, replicate and
        format-transfer runs); returns the ids of the runs deleted. Files on disk
        (checkpoints, adapters) are left where they are."""
        from auditor.store.unlink import unlinked_runs

        with self._tx() as db:
            doomed = unlinked_runs(db, audit_id, self.path)
            db.execute("DELETE FROM audits WHERE id = ?", (audit_id,))
            for run_id in doomed:
                db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        return doomed


def _encode(name: str, value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if name in _JSON and value is not None else value


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for name in _JSON & row.keys():
        if isinstance(row[name], str):
            row[name] = json.loads(row[name])
    return row
