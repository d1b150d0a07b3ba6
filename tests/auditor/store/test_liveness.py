"""The liveness lock: shared by every holder, released by the last, looked at without
disturbing it."""

from __future__ import annotations

from auditor.store import liveness


def test_two_holders_share_the_lock_and_the_last_removes_it(tmp_path):
    store = tmp_path / "runs.sqlite"
    first = liveness.hold(store, "eval-1")
    second = liveness.hold(store, "eval-1")  # another process working on the same run
    assert liveness.is_live(store, "eval-1") is True
    assert liveness.is_live(store, "eval-2") is False  # no lock file: nobody holds it
    liveness.release(store, "eval-1", first)
    assert liveness.is_live(store, "eval-1") is True  # the looks above took nothing away
    assert liveness.lock_path(store, "eval-1").is_file()
    liveness.release(store, "eval-1", second)
    assert liveness.is_live(store, "eval-1") is False
    assert not liveness.lock_path(store, "eval-1").parent.exists()


def test_a_lock_of_other_work_keeps_the_folder(tmp_path):
    store = tmp_path / "runs.sqlite"
    audit = liveness.hold(store, "audit-1")
    run = liveness.hold(store, "eval-1")
    liveness.release(store, "eval-1", run)
    assert liveness.is_live(store, "audit-1") is True and not liveness.is_live(store, "eval-1")
    liveness.release(store, "audit-1", audit)
    assert not liveness.lock_path(store, "audit-1").parent.exists()
    again = liveness.hold(store, "eval-1")  # the folder is made again
    assert liveness.is_live(store, "eval-1") is True
    liveness.release(store, "eval-1", again)
