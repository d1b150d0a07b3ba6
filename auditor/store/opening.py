"""Opening a store file: the connection (read-only ones included), the check that it is a
spillover store, its migrations, and the one-line refusal of a store another process has
locked.

A store in a folder this user cannot write is read from a private copy of the file and its
``-wal``: SQLite could not build the WAL index there, and opening the file ``immutable``
would hide every commit not yet checkpointed into it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from auditor.core.errors import InputError
from auditor.store.migrations import MIGRATIONS

BUSY_TIMEOUT_S = 30.0
"""How long a write waits for another process's write lock before giving up."""
TABLES = ("runs", "answers", "train_logs", "audits")
"""The tables every spillover store has."""
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (primary codes)
_COPY_TRIES = 3


def is_locked(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite giving up on a lock another connection holds."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return (code & 0xFF) in _BUSY_CODES
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def locked_error(path: Path, waited: float) -> InputError:
    shown = f"{waited:.0f}" if waited >= 10 else f"{waited:.1f}"
    return InputError(
        f"store {path} is locked by another process (waited {shown} s); "
        "rerun when it has finished, or pass another --store"
    )


def connect(path: Path, readonly: bool) -> tuple[sqlite3.Connection, Path | None]:
    """A connection to the store at ``path`` and the private folder of the copy it reads
    (None when it reads the file itself)."""
    if not readonly:
        return _connect(path), None
    if os.access(path.parent, os.W_OK):
        return _connect(f"{path.resolve().as_uri()}?mode=ro", uri=True), None
    copy_dir = Path(tempfile.mkdtemp(prefix="spillover-store-"))
    try:
        copy = _snapshot(path, copy_dir)
        return _connect(f"{copy.as_uri()}?mode=ro", uri=True), copy_dir
    except BaseException:
        shutil.rmtree(copy_dir, ignore_errors=True)
        raise


def _connect(database: Path | str, uri: bool = False) -> sqlite3.Connection:
    return sqlite3.connect(
        database, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False, uri=uri
    )


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _snapshot(path: Path, folder: Path) -> Path:
    """Copy the store and its ``-wal`` into ``folder``, again if a writer changed either
    while they were copied (a torn copy could pair a WAL with the wrong database)."""
    wal = Path(f"{path}-wal")
    copy = folder / path.name
    for _ in range(_COPY_TRIES):
        before = (_signature(path), _signature(wal))
        for name in (f"{copy.name}-wal", copy.name):
            (folder / name).unlink(missing_ok=True)
        try:
            if before[1] is not None:
                shutil.copyfile(wal, f"{copy}-wal")
            shutil.copyfile(path, copy)
        except OSError as exc:
            raise InputError(f"store {path}: cannot read it ({exc.strerror or exc})") from None
        if (_signature(path), _signature(wal)) == before:
            return copy
        time.sleep(0.05)
    raise InputError(
        f"store {path}: another process kept writing it while it was read from "
        "a read-only folder; rerun when it has finished"
    )


def check_kind(db: sqlite3.Connection, path: Path, readonly: bool) -> None:
    """Refuse a file that is not a spillover store (or a newer one)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if version == 0:
        if names or (readonly and path.stat().st_size == 0):
            raise InputError(
                f"store {path}: not a spillover store (a SQLite file with "
                "other tables, or empty); pass another --store"
            )
        return
    missing = [t for t in TABLES if t not in names]
    if missing:
        raise InputError(f"store {path}: damaged spillover store (table '{missing[0]}' is missing)")
    if readonly and version > len(MIGRATIONS):
        # an older store reads as it is: tables added since read as empty
        raise InputError(
            f"store {path}: schema v{version}, this spillover reads "
            f"up to v{len(MIGRATIONS)}; upgrade spillover"
        )


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Apply the migrations the store lacks, in one transaction."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise InputError(
            f"store {path}: schema v{version} is newer than this spillover "
            f"(v{len(MIGRATIONS)}); upgrade spillover or use another --store"
        )
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        for statement in script.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version={number}")
