"""A real `spillover audit` killed with SIGKILL mid-training resumes without redoing stages."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

from ..audit_fixtures import write_tiny_profile
from ..helpers import kill_when, run_here

ROOT = Path(__file__).resolve().parents[3]


def _train_steps(store: Path) -> list[int]:
    if not store.exists():
        return []
    try:
        with sqlite3.connect(store, timeout=5) as db:
            return [r[0] for r in db.execute("SELECT step FROM train_logs ORDER BY step")]
    except sqlite3.OperationalError:  # tables not created yet
        return []


def test_sigkill_during_alignment_then_rerun(small_llama_dir, bbq_lite, tmp_path):
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
        "align.max_steps=8",
        "--format",
        "json",
    ]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "PYTHONPATH": str(ROOT)}
    # a checkpoint is saved every 2 steps: kill after the third step is logged
    kill_when(cmd, lambda: len(_train_steps(store)) >= 3, env=env, cwd=ROOT, poll=0.1)

    done = run_here(cmd[3:])  # the rerun needs no process of its own
    assert done.exit_code == 0, done.output
    assert "baseline (stored result reused)" in done.stderr
    assert "resuming from checkpoint-" in done.stderr
    report = json.loads(done.stdout)
    assert report["table"]["pairing"]["n_paired"] == 72
    assert _train_steps(store) == list(range(1, 9))  # every step once
    with sqlite3.connect(store) as db:
        (baseline,) = db.execute("SELECT baseline_run FROM audits").fetchone()
        counts = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT item_id) FROM answers WHERE run_id = ?", (baseline,)
        ).fetchone()
    assert counts == (72, 72)
