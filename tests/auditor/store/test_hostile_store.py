"""Hostile stores: locked by another writer, read from a folder this user cannot write with
commits still in the WAL, left by a killed writer, and whether a `running` run is alive."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import auditor.store.opening
from auditor.cli import main
from auditor.core.errors import InputError
from auditor.store.db import Store
from auditor.store.records import NO_LIVE_PROCESS

ROOT = Path(__file__).resolve().parents[3]
WRITER = """
import os, signal, sys, time
from auditor.store.db import Store
path, what = sys.argv[1], sys.argv[2]
store = Store(path)
run = store.create_or_get_run("eval", what, model=what + "-model", total=2)
store.update_run(run, status="running")
if what == "audit":
    audit = store.create_or_get_audit("a", {"name": "p", "model": {"source": "m"}})
    store.update_audit(audit, status="running")
print(run, flush=True)
if what == "killed":
    os.kill(os.getpid(), signal.SIGKILL)
if what == "exits":
    os._exit(0)
time.sleep(300)
"""
LOCKER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(300)
"""


def _python(script: str, *args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)], env=env, stdout=subprocess.PIPE, text=True
    )


def _started(script: str, *args) -> tuple[subprocess.Popen, str]:
    proc = _python(script, *args)
    line = proc.stdout.readline().strip()
    assert line, "the helper process said nothing"
    return proc, line


def _end(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)
    proc.stdout.close()


def _invoke(*args):
    # wide enough that a table's cells stay on one line each
    result = CliRunner().invoke(main, list(map(str, args)), env={"COLUMNS": "250"})
    assert "Traceback" not in result.output
    return result


def _runs_json(path) -> dict:
    result = _invoke("runs", "--format", "json", "--store", path)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _killed_writer(path: Path) -> str:
    proc = _python(WRITER, path, "killed")
    run_id = proc.stdout.readline().strip()
    proc.wait(timeout=60)
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL and run_id
    return run_id


@pytest.fixture
def unwritable(monkeypatch):
    """Make ``folder`` unwritable: its mode (for a user) and, since root may write anywhere,
    the check the store makes (os.access)."""
    made = []
    real = os.access

    def make(folder: Path) -> None:
        os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)
        made.append(folder)
        monkeypatch.setattr(
            os,
            "access",
            lambda p, mode, **kw: (
                False if mode == os.W_OK and Path(p) == folder else real(p, mode, **kw)
            ),
        )

    yield make
    for folder in made:
        os.chmod(folder, stat.S_IRWXU)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_killed_writers_run_shows_from_a_read_only_folder(tmp_path, unwritable):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "runs.sqlite"
    with Store(path) as store:  # closed cleanly: this run is checkpointed into the file
        store.create_or_get_run("eval", "earlier", model="earlier-model", total=1)
    killed = _killed_writer(path)
    assert Path(f"{path}-wal").stat().st_size > 0  # the killed run is in the WAL only
    before = _files(folder)
    unwritable(folder)
    listed = {r["id"]: r for r in _runs_json(path)["runs"]}
    assert {r["model"] for r in listed.values()} == {"earlier-model", "killed-model"}
    assert (listed[killed]["status"], listed[killed]["live"]) == ("running", False)
    table = _invoke("runs", "--store", path)
    assert table.exit_code == 0 and NO_LIVE_PROCESS in table.stdout
    with Store(path, readonly=True) as store:
        with pytest.raises(sqlite3.OperationalError):
            store.create_or_get_run("eval", "k2")
    assert _files(folder) == before  # nothing written beside the store, nothing changed


def test_a_store_with_nothing_checkpointed_reads_from_a_read_only_folder(tmp_path, unwritable):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "runs.sqlite"
    killed = _killed_writer(path)  # created and killed: even the schema is in the WAL
    with sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True) as db:
        assert db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0
    unwritable(folder)
    result = _invoke("runs", "--format", "json", "--store", path)
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in json.loads(result.stdout)["runs"]] == [killed]


@pytest.mark.parametrize("command", ["import", "eval"])
def test_a_locked_store_says_locked_and_how_long_it_waited(
    tmp_path, monkeypatch, command, lm_eval_dir, bbq_official
):
    path = tmp_path / "runs.sqlite"
    Store(path).close()
    monkeypatch.setattr(auditor.store.opening, "BUSY_TIMEOUT_S", 1.0)
    locker, _ = _started(LOCKER, path)
    try:
        args = (
            ["import", "lm-eval", lm_eval_dir / "samples_bbq.jsonl"]
            if command == "import"
            else ["eval", "--model", "smollm2-135m", "--sample", 36]
        )
        result = _invoke(*args, "--bbq", bbq_official, "--store", path)
    finally:
        _end(locker)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "not a usable" not in result.stderr
    assert f"store {path} is locked by another process (waited 1." in result.stderr
    with Store(path, readonly=True) as store:
        assert store.runs() == []


def test_a_write_blocked_mid_run_says_locked(tmp_path, monkeypatch):
    path = tmp_path / "runs.sqlite"
    monkeypatch.setattr(auditor.store.opening, "BUSY_TIMEOUT_S", 0.5)
    with Store(path) as store:
        run_id = store.create_or_get_run("eval", "k")
        locker, _ = _started(LOCKER, path)
        try:
            with pytest.raises(InputError, match=r"is locked by another process \(waited 0\.5 s\)"):
                store.update_run(run_id, status="running")
        finally:
            _end(locker)
        assert store.run(run_id).status == "created" and store.run(run_id).live is None
        store.update_run(run_id, status="done")  # the lock is gone: writing works again


def test_a_running_run_is_live_until_its_process_is_killed(tmp_path):
    path = tmp_path / "runs.sqlite"
    writer, run_id = _started(WRITER, path, "audit")
    try:
        [run] = _runs_json(path)["runs"]
        [audit] = _runs_json(path)["audits"]
        assert (run["status"], run["live"], audit["live"]) == ("running", True, True)
        assert NO_LIVE_PROCESS not in _invoke("runs", "--store", path).stdout
    finally:
        writer.send_signal(signal.SIGKILL)
        _end(writer)
    listed = _runs_json(path)
    assert (listed["runs"][0]["status"], listed["runs"][0]["live"]) == ("running", False)
    assert listed["audits"][0]["live"] is False
    shown = _invoke("runs", "--store", path).stdout
    assert shown.count(NO_LIVE_PROCESS) == 2  # the run and the audit
    with Store(path, readonly=True) as store:  # what the app reads
        assert store.run(run_id).shown_status == NO_LIVE_PROCESS
        assert [a.shown_status for a in store.audits()] == [NO_LIVE_PROCESS]


def test_a_process_that_exits_without_finishing_holds_nothing(tmp_path):
    path = tmp_path / "runs.sqlite"
    proc = _python(WRITER, path, "exits")
    run_id = proc.stdout.readline().strip()
    _end(proc)
    with Store(path, readonly=True) as store:
        assert (store.run(run_id).status, store.run(run_id).live) == ("running", False)


def test_finished_work_is_not_running_and_leaves_no_lock_file(tmp_path):
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        run_id = store.create_or_get_run("eval", "k")
        store.update_run(run_id, status="running")
        assert store.run(run_id).live is True  # this process holds it
        with Store(path, readonly=True) as reader:  # another connection sees it too
            assert reader.run(run_id).live is True
        store.update_run(run_id, status="done")
        assert (store.run(run_id).status, store.run(run_id).live) == ("done", None)
    assert not Path(f"{path}-live").exists()  # no lock file or folder left behind


def test_a_lock_file_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    import auditor.store.liveness

    def refuse(store_path, work_id):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(auditor.store.liveness, "hold", refuse)
    with Store(tmp_path / "runs.sqlite") as store:
        run_id = store.create_or_get_run("eval", "k")
        with pytest.raises(
            InputError,
            match=r"cannot write the lock file .*runs.sqlite-live/"
            rf"{run_id}.lock \(Permission denied\)",
        ):
            store.update_run(run_id, status="running")
        assert store.run(run_id).status == "created"


def test_a_free_lock_written_on_another_machine_tells_nothing(tmp_path):
    from auditor.store import liveness

    path = tmp_path / "runs.sqlite"
    proc = _python(WRITER, path, "killed")  # a killed writer of this machine
    run_id = proc.stdout.readline().strip()
    _end(proc)
    lock = liveness.lock_path(path, run_id)
    assert lock.read_text().split() == [liveness.machine(), str(proc.pid)]
    with Store(path, readonly=True) as store:
        assert store.run(run_id).live is False
    lock.write_text("another-machine 4242\n")  # as a writer elsewhere on a shared disk
    with Store(path, readonly=True) as store:
        run = store.run(run_id)
    assert (run.live, run.shown_status) == (None, "running")
