"""The audit under torchrun (2 CPU ranks) reports what one process reports: every stage
runs distributed, rank 0 alone stores and prints. Slow (three launches): run with -m slow."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ..audit_fixtures import write_tiny_profile

ROOT = Path(__file__).resolve().parents[3]
TORCHRUN = Path(sys.executable).parent / "torchrun"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun is not installed beside this Python")
def test_audit_under_torchrun_reports_what_one_process_does(small_llama_dir, bbq_lite, tmp_path):
    profile = write_tiny_profile(tmp_path, small_llama_dir, bbq_lite)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OMP_WAIT_POLICY": "PASSIVE",
        "PYTHONPATH": str(ROOT),
    }
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()

    def audit(prefix, store):
        done = subprocess.run(
            [
                *prefix,
                "-m",
                "auditor",
                "audit",
                "--profile",
                str(profile),
                "--store",
                str(store),
                "--format",
                "json",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout), done.stderr

    launch = [str(TORCHRUN), "--nproc_per_node", "2", "--master_port", str(_free_port())]
    one, _ = audit([sys.executable], tmp_path / "one" / "runs.sqlite")
    two, _ = audit(launch, tmp_path / "two" / "runs.sqlite")
    assert two["table"] == one["table"]
    assert two["subject"]["baseline_run"] == one["subject"]["baseline_run"]
    with sqlite3.connect(tmp_path / "two" / "runs.sqlite") as db:
        steps = [r[0] for r in db.execute("SELECT step FROM train_logs ORDER BY step")]
        answers = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT run_id || item_id) FROM answers"
        ).fetchone()
    assert steps == [1, 2, 3, 4] and answers == (144, 144)
    # a rerun under the launcher reuses every stage rank 0 finds stored
    launch[-1] = str(_free_port())
    again, err = audit(launch, tmp_path / "two" / "runs.sqlite")
    assert again["table"] == two["table"]
    assert "baseline (stored result reused)" in err and "aligned (stored result reused)" in err
