"""One write transaction on a store's connection, safe against a signal at any point.

A Ctrl-C or SIGTERM raises in the main thread between any two bytecodes, also between
``BEGIN`` and the body of a ``with``: such a transaction is rolled back (at once, or by
the next one to start), so the interrupt can still be recorded.
"""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING

from auditor.store.opening import is_locked, locked_error

if TYPE_CHECKING:
    from auditor.store.db import Store


class Transaction:
    """``with Transaction(store) as db:`` holds the store's lock and a ``BEGIN
    IMMEDIATE`` transaction; commits if the body ends normally, else rolls back."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        store = self.store
        store._lock.acquire()
        started = time.monotonic()
        depth = store._tx_depth
        try:
            self._drop_unstarted()  # a signal between an earlier BEGIN and its body
            store._tx_depth = depth + 1
            store._db.execute("BEGIN IMMEDIATE")
            return store._db
        except sqlite3.OperationalError as exc:
            self._abandon(depth)
            if is_locked(exc):
                raise locked_error(store.path, time.monotonic() - started) from None
            raise
        except BaseException:  # a signal just after BEGIN: nothing of it is kept
            self._abandon(depth)
            raise

    def _drop_unstarted(self) -> None:
        """Roll back a transaction open with no body running: it never ran."""
        if self.store._db.in_transaction and not self.store._tx_depth:
            self.store._db.execute("ROLLBACK")

    def _abandon(self, depth: int) -> None:
        """Undo a start that did not reach its body: the count, an open BEGIN, the lock."""
        self.store._tx_depth = depth
        try:
            self._drop_unstarted()
        finally:
            self.store._lock.release()

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            self.store._tx_depth -= 1
            self.store._db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.store._lock.release()
