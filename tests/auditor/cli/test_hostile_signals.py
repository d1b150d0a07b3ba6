"""Hostile cases for signals: SIGTERM (a CI cancel, `timeout`, `docker stop`) and SIGINT
sent to real `python -m auditor` processes mid-work, tiny models. SIGTERM ends eval, align
and audit like a second Ctrl-C: the work is recorded ``interrupted``, one line on stderr,
exit 143, and the rerun resumes without losing or duplicating anything."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..audit_fixtures import write_tiny_profile
from ..helpers import run_here

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "PYTHONPATH": str(ROOT)}
TERMINATED = "interrupted: terminated (SIGTERM); stored results are kept, rerun to resume"


def _query(store: Path, sql: str, args=()) -> list[tuple]:
    if not store.exists():
        return []
    try:
        with sqlite3.connect(store, timeout=5) as db:
            return db.execute(sql, args).fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []


def _answers(store: Path) -> int:
    return (_query(store, "SELECT COUNT(*) FROM answers") or [(0,)])[0][0]


def _steps(store: Path) -> list[int]:
    return [r[0] for r in _query(store, "SELECT step FROM train_logs ORDER BY step")]


def _default_sigint() -> None:
    """A test runner's worker (pytest-xdist) may ignore SIGINT, and a child inherits an
    ignored signal; the command under test gets the default, as from a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def signal_when(cmd, ready, sig, *, timeout: float = 240, poll: float = 0.02):
    """Start ``cmd``, send ``sig`` once ``ready()`` holds, wait; (returncode, stdout, stderr).
    Fails the test if the process ends first or ``ready`` never comes."""
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)  # fmt: skip
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, f"not ready within {timeout} s"
            time.sleep(poll)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out, err


def _last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


EVAL_N = 400  # a few seconds of work at the tiny model's speed: the signal lands mid-run
EVAL_ROWS = "SELECT item_id, predicted, role, correct, scores, text FROM answers ORDER BY item_id"


def _eval_args(model, bbq) -> list[str]:
    return ["eval", "--model", str(model), "--bbq", str(bbq), "--sample", str(EVAL_N),
            "--batch-size", "2", "--format", "json"]  # fmt: skip


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, tiny_llama_dir, bbq_lite):
    """The eval below run once without a signal (in this process: no signal reaches it):
    its run id and its stored answers, the reference both signals' resumed runs equal."""
    fresh = tmp_path_factory.mktemp("uninterrupted") / "fresh.sqlite"
    clean = run_here([*_eval_args(tiny_llama_dir, bbq_lite), "--store", fresh])
    assert clean.exit_code == 0, clean.output
    return json.loads(clean.stdout)["run_id"], _query(fresh, EVAL_ROWS)


@pytest.mark.parametrize(
    ("sig", "code", "status", "line"),
    [
        (signal.SIGTERM, 143, "interrupted", TERMINATED),
        (
            signal.SIGINT,
            130,
            "interrupted",
            "interrupted: stored results are kept; rerun to resume",
        ),
    ],
    ids=["SIGTERM", "SIGINT"],
)
def test_eval_stopped_by_a_signal_is_recorded_and_resumes(
    tmp_path, tiny_llama_dir, bbq_lite, uninterrupted, sig, code, status, line
):
    n = EVAL_N
    store = tmp_path / "runs.sqlite"
    cmd = [sys.executable, "-m", "auditor", *_eval_args(tiny_llama_dir, bbq_lite),
           "--store", str(store)]  # fmt: skip
    rc, out, err = signal_when(cmd, lambda: _answers(store) >= 20, sig)
    at_stop = _answers(store)
    assert rc == code, err
    assert _last_line(err).startswith(line) and "Traceback" not in err, err
    assert 0 < at_stop < n, f"stopped at {at_stop}/{n}"
    assert [r[0] for r in _query(store, "SELECT status FROM runs")] == [status]

    rerun = run_here(cmd[3:])  # the rerun needs no process of its own
    assert rerun.exit_code == 0, rerun.output
    assert f"{at_stop} of {n} items already stored" in rerun.stderr
    resumed = _query(store, EVAL_ROWS)
    assert len(resumed) == n == len({r[0] for r in resumed})  # nothing lost, nothing twice
    assert [r[0] for r in _query(store, "SELECT status FROM runs")] == ["done"]
    # the resumed run is the uninterrupted one, byte for byte
    run_id, rows = uninterrupted
    assert json.loads(rerun.stdout)["run_id"] == run_id
    assert resumed == rows


def test_align_sigterm_is_recorded_and_resumes(small_llama_dir, bbq_lite, tmp_path):
    store = tmp_path / "runs.sqlite"
    cmd = [
        sys.executable,
        "-m",
        "auditor",
        "align",
        "--model",
        str(small_llama_dir),
        "--device",
        "cpu",
        "--bbq",
        str(bbq_lite),
        "--out",
        str(tmp_path / "out"),
        "--store",
        str(store),
        "--sample",
        "4",
        "--rejected",
        "biased",
        "--batch-size",
        "1",
        "--max-steps",
        "10",
        "--save-steps",
        "2",
        "--lr",
        "1e-3",
        "--format",
        "json",
    ]
    rc, _, err = signal_when(cmd, lambda: len(_steps(store)) >= 3, signal.SIGTERM, poll=0.05)
    assert rc == 143, err
    assert _last_line(err) == TERMINATED and "Traceback" not in err, err
    assert [r[0] for r in _query(store, "SELECT status FROM runs")] == ["interrupted"]
    stopped_at = len(_steps(store))
    assert 3 <= stopped_at < 10

    done = run_here(cmd[3:])  # the rerun needs no process of its own
    assert done.exit_code == 0, done.output
    assert "resuming from checkpoint-" in done.stderr
    assert json.loads(done.stdout)["metrics"]["global_step"] == 10
    assert _steps(store) == list(range(1, 11))  # every step logged once
    assert [r[0] for r in _query(store, "SELECT status FROM runs")] == ["done"]


def test_audit_sigterm_is_recorded_and_resumes(small_llama_dir, bbq_lite, tmp_path):
    profile = write_tiny_profile(tmp_path, small_llama_dir, bbq_lite)
    store = tmp_path / "runs.sqlite"
    cmd = [
        sys.executable,
        "-m",
        "auditor",
        "audit",
        "--profile",
        str(profile),
        "--store",
        str(store),
        "--set",
        "align.max_steps=6",
        "--format",
        "json",
    ]
    rc, _, err = signal_when(cmd, lambda: len(_steps(store)) >= 2, signal.SIGTERM, poll=0.05)
    assert rc == 143, err
    assert _last_line(err) == TERMINATED and "Traceback" not in err, err
    assert _query(store, "SELECT status FROM audits") == [("interrupted",)]
    statuses = dict(_query(store, "SELECT kind, status FROM runs"))
    assert statuses == {"eval": "done", "train": "interrupted"}

    done = run_here(cmd[3:])  # the rerun needs no process of its own
    assert done.exit_code == 0, done.output
    assert "baseline (stored result reused)" in done.stderr
    assert json.loads(done.stdout)["table"]["pairing"]["n_paired"] == 72
    assert _steps(store) == list(range(1, 7))
    assert _query(store, "SELECT status FROM audits") == [("done",)]
    counts = _query(
        store, "SELECT run_id, COUNT(*), COUNT(DISTINCT item_id) FROM answers GROUP BY run_id"
    )
    assert len(counts) == 2 and all(c[1] == c[2] == 72 for c in counts)
