"""A signal (Ctrl-C, SIGTERM) that lands inside a store write, even between BEGIN and the
body, leaves nothing half-written and never blocks the write that records the stop."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from auditor.store.db import Store


class SignalAfterBegin:
    """The store's connection, raising KeyboardInterrupt right after its next BEGIN runs
    (where a real signal may land: between two bytecodes of the transaction's start)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db, self.armed = db, True

    def execute(self, sql: str, *args):
        out = self.db.execute(sql, *args)
        if self.armed and sql == "BEGIN IMMEDIATE":
            self.armed = False
            raise KeyboardInterrupt
        return out

    def __getattr__(self, name: str):
        return getattr(self.db, name)


def _other_thread_can_lock(store: Store) -> bool:
    got = []

    def take() -> None:
        got.append(store._lock.acquire(timeout=2))
        if got[0]:
            store._lock.release()

    thread = threading.Thread(target=take)
    thread.start()
    thread.join()
    return got[0]


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "runs.sqlite") as opened:
        yield opened


def test_a_signal_just_after_begin_keeps_nothing_and_the_stop_is_recorded(store):
    run = store.create_or_get_run("eval", "k", model="m", total=3)
    real = store._db
    store._db = SignalAfterBegin(real)  # type: ignore[assignment]
    with pytest.raises(KeyboardInterrupt):
        store.update_run(run, "done", {"half": True})
    store._db = real
    assert not real.in_transaction and store._tx_depth == 0 and _other_thread_can_lock(store)
    store.update_run(run, "interrupted")  # what the command does next
    assert store.run(run).status == "interrupted" and "half" not in store.run(run).record


def test_a_transaction_left_open_before_its_body_is_dropped_by_the_next(store):
    run = store.create_or_get_run("eval", "k", model="m", total=3)
    store._db.execute("BEGIN IMMEDIATE")  # a signal escaped between BEGIN and the body
    store._db.execute("UPDATE runs SET status = 'half' WHERE id = ?", (run,))
    store.update_run(run, "interrupted")
    assert store.run(run).status == "interrupted"
    with sqlite3.connect(store.path) as other:  # committed, seen by another connection
        assert other.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]


def test_a_transaction_inside_a_running_one_is_still_refused(store):
    run = store.create_or_get_run("eval", "k", model="m", total=3)
    with pytest.raises(sqlite3.OperationalError, match="within a transaction"):
        with store._tx() as db:
            db.execute("UPDATE runs SET status = 'outer' WHERE id = ?", (run,))
            store.update_run(run, "inner")  # never rolls the outer body back silently
    assert store.run(run).status == "created"
