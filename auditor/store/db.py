"""The run store: one SQLite file (WAL) holding runs, every answered item, training logs
and audits.

Run ids are derived from a key (model, adapter, mode, template, data...), so rerunning
the same work finds the same run and skips the items already stored: a run killed at any
point resumes where its last committed batch left it. Each batch is one transaction.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import subprocess
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.core.items import Item
from auditor.store.migrations import MIGRATIONS
from auditor.store.records import AuditRecord, RunRecord

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


TABLES = ("runs", "answers", "train_logs", "audits")
"""The tables every spillover store has."""


class Store:
    """A run store at ``path`` (created on first use). A context manager; one writer at a
    time per process (calls are serialised by a lock), any number of readers.

    ``readonly`` opens an existing store without ever writing to it (no schema change,
    no WAL switch; a store in a read-only folder is read as immutable). Any SQLite file
    that is not a spillover store is refused, never given spillover's tables. A store
    this object created is removed again when the ``with`` block fails before anything
    was stored in it.
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
                raise InputError(f"store {self.path}: cannot create its folder ({exc.strerror})") from None
            if not self._created and not os.access(self.path, os.W_OK):
                raise InputError(f"store {self.path}: read-only file; this command stores "
                                 "results, pass a writable --store")
        try:
            self._db = self._connect()
            self._db.row_factory = sqlite3.Row
            self._lock = threading.RLock()
            self._check_kind()  # before anything could change a foreign file
            if not readonly:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            if not readonly:
                self._migrate()
        except sqlite3.DatabaseError as exc:
            raise InputError(f"store {self.path}: not a usable SQLite file ({exc})") from exc

    def _connect(self) -> sqlite3.Connection:
        options = dict(timeout=30, isolation_level=None, check_same_thread=False)
        if not self.readonly:
            return sqlite3.connect(self.path, **options)
        uri = self.path.resolve().as_uri()
        import os

        if not os.access(self.path.parent, os.W_OK):
            # a folder nobody here can write: no writer can be changing the store, and
            # SQLite could not make the WAL index a read-only connection needs
            return sqlite3.connect(f"{uri}?immutable=1", uri=True, **options)
        return sqlite3.connect(f"{uri}?mode=ro", uri=True, **options)

    def _check_kind(self) -> None:
        """Refuse a file that is not a spillover store (or a newer one)."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        names = {r[0] for r in self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version == 0:
            if names or (self.readonly and self.path.stat().st_size == 0):
                raise InputError(f"store {self.path}: not a spillover store (a SQLite file with "
                                 "other tables, or empty); pass another --store")
            return
        missing = [t for t in TABLES if t not in names]
        if missing:
            raise InputError(f"store {self.path}: damaged spillover store (table "
                             f"'{missing[0]}' is missing)")
        if self.readonly and version > len(MIGRATIONS):
            # an older store reads as it is: tables added since read as empty
            raise InputError(f"store {self.path}: schema v{version}, this spillover reads "
                             f"up to v{len(MIGRATIONS)}; upgrade spillover")

    # -- plumbing -------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._tx():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise InputError(
                    f"store {self.path}: schema v{version} is newer than this spillover "
                    f"(v{len(MIGRATIONS)}); upgrade spillover or use another --store"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={number}")

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    class _Tx:
        def __init__(self, store: Store):
            self.store = store

        def __enter__(self):
            self.store._lock.acquire()
            self.store._db.execute("BEGIN IMMEDIATE")
            return self.store._db

        def __exit__(self, exc_type, exc, tb):
            try:
                self.store._db.execute("ROLLBACK" if exc_type else "COMMIT")
            finally:
                self.store._lock.release()

    def _tx(self) -> Store._Tx:
        return Store._Tx(self)

    def _query(self, sql: str, args: Sequence = ()) -> list[dict]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_decode(dict(r)) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        empty = self._created and exc_type is not None and not self.runs() and not self.audits()
        self.close()
        if empty:  # a failed command leaves no new, empty store behind
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    # -- runs -----------------------------------------------------------------------
    def create_or_get_run(self, kind: str, key: str, **fields) -> str:
        """The id of the run for (kind, key), creating it with ``fields`` if new.

        Fields: model, adapter, settings (dict), data_checksum, mode, template,
        versions (dict), git_commit, total, record (dict), status. An existing run keeps
        its fields.
        """
        unknown = set(fields) - set(RUN_FIELDS)
        if unknown:
            raise TypeError(f"unknown run fields: {sorted(unknown)}")
        run_id, now = make_id(kind, key), _now()
        cols = {"id": run_id, "kind": kind, "key": key, "created": now, "updated": now}
        cols.update({k: _encode(k, v) for k, v in fields.items()})
        names = ", ".join(cols)
        marks = ", ".join("?" * len(cols))
        with self._tx() as db:
            db.execute(f"INSERT OR IGNORE INTO runs ({names}) VALUES ({marks})", list(cols.values()))
        return run_id

    def update_run(self, run_id: str, status: str | None = None, record: dict | None = None):
        """Set the status and/or merge ``record`` (shallow) into the run's record."""
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

    def run(self, run_id: str) -> RunRecord:
        """The run, with ``done`` (answers stored)."""
        rows = self._query(
            "SELECT r.*, (SELECT COUNT(*) FROM answers a WHERE a.run_id = r.id) AS done "
            "FROM runs r WHERE r.id = ?",
            (run_id,),
        )
        if not rows:
            raise InputError(f"store {self.path}: no run {run_id}")
        return RunRecord.from_row(rows[0])

    def runs(self, kind: str | None = None) -> list[RunRecord]:
        """All runs (of ``kind``), newest first, each with its ``done`` count."""
        where, args = ("WHERE r.kind = ?", (kind,)) if kind else ("", ())
        return [RunRecord.from_row(row) for row in self._query(
            "SELECT r.*, (SELECT COUNT(*) FROM answers a WHERE a.run_id = r.id) AS done "
            f"FROM runs r {where} ORDER BY r.created DESC, r.id",
            args,
        )]

    # -- answers --------------------------------------------------------------------
    def add_answers(self, run_id: str, items: Iterable[Item], answers: Iterable[Answer]) -> int:
        """Store one batch in one transaction; items already stored are left as they are.

        Returns how many answers were new.
        """
        pairs = list(zip(items, answers, strict=True))
        for item, answer in pairs:
            if item.id != answer.item_id:
                raise ValueError(f"answer for {answer.item_id} paired with item {item.id}")
        with self._tx() as db:
            added = self._insert_answers(db, run_id, [i for i, _ in pairs], [a for _, a in pairs])
            db.execute("UPDATE runs SET updated = ? WHERE id = ?", (_now(), run_id))
        return added

    def _insert_answers(self, db, run_id: str, items: Sequence[Item],
                        answers: Sequence[Answer]) -> int:
        seq = db.execute(
            "SELECT COALESCE(MAX(seq), -1) + 1 FROM answers WHERE run_id = ?", (run_id,)
        ).fetchone()[0]
        before = db.total_changes
        db.executemany(
            "INSERT OR IGNORE INTO answers (run_id, item_id, seq, attribute, context, "
            "polarity, predicted, role, correct, scores, text) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run_id, item.id, seq + i, item.attribute, item.context_condition,
                    item.polarity, a.predicted, a.role(item), int(a.correct(item)),
                    json.dumps(list(a.scores)), a.text,
                )  # fmt: skip
                for i, (item, a) in enumerate(zip(items, answers, strict=True))
            ],
        )
        return db.total_changes - before

    def done_ids(self, run_id: str) -> set[str]:
        with self._lock:
            rows = self._db.execute("SELECT item_id FROM answers WHERE run_id = ?", (run_id,))
            return {r[0] for r in rows}

    def answers(self, run_id: str) -> list[Answer]:
        """The run's answers in the order they were stored."""
        return [
            Answer(r["item_id"], r["predicted"], tuple(r["scores"]), r["text"])
            for r in self.answer_rows(run_id)
        ]

    def answer_rows(self, run_id: str) -> list[dict]:
        """Full answer rows (with attribute, context, polarity, role, correct) to query."""
        return self._query("SELECT * FROM answers WHERE run_id = ? ORDER BY seq", (run_id,))

    # -- answers per option ordering (option-order rotation) ------------------------
    def add_order_answers(self, run_id: str, items: Sequence[Item], orders: Sequence[str],
                          answers: Sequence[Answer], *, per_item: int, aggregate) -> int:
        """Store one batch of rotated answers (each in the item's own option indices) in
        one transaction, and the aggregated answer of every item of the batch whose
        ``per_item`` orderings are now all stored (``aggregate(item_id, {order: Answer})``).

        Returns how many orderings were new.
        """
        rows = list(zip(items, orders, answers, strict=True))
        for item, _, answer in rows:
            if item.id != answer.item_id:
                raise ValueError(f"answer for {answer.item_id} paired with item {item.id}")
        with self._tx() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), -1) + 1 FROM order_answers "
                             "WHERE run_id = ?", (run_id,)).fetchone()[0]
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO order_answers (run_id, item_id, ordering, seq, "
                "predicted, scores, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(run_id, item.id, order, seq + i, a.predicted, json.dumps(list(a.scores)),
                  a.text) for i, (item, order, a) in enumerate(rows)])
            added = db.total_changes - before
            done = []
            for item in {item.id: item for item, _, _ in rows}.values():
                stored = self._orders_of(db, run_id, item.id)
                if len(stored) == per_item:
                    done.append((item, aggregate(item.id, stored)))
            if done:
                self._insert_answers(db, run_id, [i for i, _ in done], [a for _, a in done])
            db.execute("UPDATE runs SET updated = ? WHERE id = ?", (_now(), run_id))
        return added

    def done_orders(self, run_id: str) -> set[tuple[str, str]]:
        """(item id, ordering) of every stored rotated answer of the run."""
        if not self._has_table("order_answers"):
            return set()
        with self._lock:
            rows = self._db.execute(
                "SELECT item_id, ordering FROM order_answers WHERE run_id = ?", (run_id,))
            return {(r[0], r[1]) for r in rows}

    def order_answers(self, run_id: str) -> dict[str, dict[str, Answer]]:
        """item id → ordering → answer (in the item's own option indices); empty for a run
        scored in one order only."""
        if not self._has_table("order_answers"):
            return {}
        out: dict[str, dict[str, Answer]] = {}
        for r in self._query("SELECT * FROM order_answers WHERE run_id = ? ORDER BY seq",
                             (run_id,)):
            out.setdefault(r["item_id"], {})[r["ordering"]] = Answer(
                r["item_id"], r["predicted"], tuple(r["scores"]), r["text"])
        return out

    def _orders_of(self, db, run_id: str, item_id: str) -> dict[str, Answer]:
        rows = db.execute("SELECT ordering, predicted, scores, text FROM order_answers "
                          "WHERE run_id = ? AND item_id = ? ORDER BY ordering",
                          (run_id, item_id)).fetchall()
        return {r[0]: Answer(item_id, r[1], tuple(json.loads(r[2])), r[3]) for r in rows}

    def _has_table(self, name: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                    "name = ?", (name,)).fetchone() is not None

    # -- training logs --------------------------------------------------------------
    def log_train(self, run_id: str, step: int, metrics: dict) -> None:
        """Record the metrics of one training step (a later write for the step wins)."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO train_logs (run_id, step, metrics, created) "
                "VALUES (?, ?, ?, ?)",
                (run_id, step, json.dumps(metrics), _now()),
            )

    def train_log(self, run_id: str) -> list[dict]:
        """[{"step": n, **metrics}, ...] in step order."""
        rows = self._query(
            "SELECT step, metrics FROM train_logs WHERE run_id = ? ORDER BY step", (run_id,)
        )
        return [{"step": r["step"], **r["metrics"]} for r in rows]

    # -- audits ---------------------------------------------------------------------
    def create_or_get_audit(self, key: str, profile: dict) -> str:
        """The id of the audit identified by ``key``, created with ``profile`` if new."""
        audit_id, now = make_id("audit", key), _now()
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO audits (id, key, profile, created, updated) "
                "VALUES (?, ?, ?, ?, ?)",
                (audit_id, key, json.dumps(profile), now, now),
            )
        return audit_id

    def update_audit(self, audit_id: str, **fields) -> None:
        """Set status / baseline_run / train_run / aligned_run; merge ``record``."""
        unknown = set(fields) - set(AUDIT_FIELDS)
        if unknown:
            raise TypeError(f"unknown audit fields: {sorted(unknown)}")
        current = self._audit_row(audit_id)
        if "record" in fields:
            fields["record"] = {**current["record"], **(fields["record"] or {})}
        sets = ", ".join(f"{k} = ?" for k in fields)
        args = [_encode(k, v) for k, v in fields.items()] + [_now(), audit_id]
        with self._tx() as db:
            db.execute(f"UPDATE audits SET {sets}{', ' if sets else ''}updated = ? WHERE id = ?", args)

    def _audit_row(self, audit_id: str) -> dict:
        rows = self._query("SELECT * FROM audits WHERE id = ?", (audit_id,))
        if not rows:
            raise InputError(f"store {self.path}: no audit {audit_id}")
        return rows[0]

    def audit(self, audit_id: str) -> AuditRecord:
        return AuditRecord.from_row(self._audit_row(audit_id))

    def audits(self) -> list[AuditRecord]:
        """All audits, newest first."""
        return [AuditRecord.from_row(row)
                for row in self._query("SELECT * FROM audits ORDER BY created DESC, id")]

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


def _encode(name: str, value):
    return json.dumps(value, sort_keys=True) if name in _JSON and value is not None else value


def _decode(row: dict) -> dict:
    for name in _JSON & row.keys():
        if isinstance(row[name], str):
            row[name] = json.loads(row[name])
    return row


@functools.lru_cache(maxsize=1)
def provenance() -> dict:
    """Package versions and the project's git commit (None outside a checkout)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for package in ("spillover", "torch", "transformers", "trl", "peft"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    root = Path(__file__).resolve().parents[2]
    commit = None
    if (root / ".git").exists():
        try:
            out = subprocess.run(
                ["git", "-C", str(root), "rev-parse", "HEAD"],
                capture_output=True, text=True, timeout=5, check=False,
            )  # fmt: skip
            commit = out.stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            commit = None
    return {"versions": versions, "git_commit": commit}
