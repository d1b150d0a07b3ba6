"""`spillover eval`: options, output formats, errors, and resume after SIGKILL."""

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
from click.testing import CliRunner

from auditor.cli import main

from ..helpers import run_here

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[3]


def run_cli(*args, env=None):
    result = CliRunner().invoke(main, ["eval", *map(str, args)], env=env)
    return result


def test_eval_json_output_and_store(tmp_path, tiny_llama_dir, bbq_lite):
    store = tmp_path / "runs.sqlite"
    result = run_cli("--model", tiny_llama_dir, "--bbq", bbq_lite, "--sample", 36,
                     "--store", store, "--format", "json", "--mode", "options")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["store"] == str(store) and data["run_id"].startswith("eval-")
    assert data["summary"]["n_items"] == 36
    cells = {(s["attribute"], s["context"], s["polarity"]) for s in data["summary"]["slices"]}
    assert ("all", "ambig", "all") in cells
    assert "scoring 36/36" in result.stderr  # plain progress lines off a terminal


def test_eval_table_output_uses_env_store(tmp_path, tiny_llama_dir, bbq_lite):
    store = tmp_path / "env.sqlite"
    result = run_cli("--model", tiny_llama_dir, "--bbq", bbq_lite, "--sample", 12,
                     env={"SPILLOVER_STORE": str(store)})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Run summary" in result.stdout and "all attributes" in result.stdout
    assert "sampled 12 of 16076 items" in result.stderr
    assert store.is_file()


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--model", "/nonexistent/model"], "error: model /nonexistent/model: no such folder"),
        (
            ["--model", "smollm2-135m", "--prompt-style", "plain", "--device", "cuda:7"],
            "error: device cuda:7",
        ),  # fmt: skip
    ],
)
def test_eval_errors_are_one_line(tmp_path, bbq_lite, args, needle):
    result = run_cli(*args, "--bbq", bbq_lite, "--store", tmp_path / "s.sqlite", "--sample", 4)
    assert result.exit_code == 2
    assert needle in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def _count(store: Path) -> int:
    try:
        with sqlite3.connect(store, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_sigkill_mid_run_then_rerun_equals_uninterrupted(tmp_path, tiny_llama_dir, bbq_lite):
    """A real `python -m auditor eval` killed with SIGKILL mid-run resumes on rerun to the
    same answers as an uninterrupted run, with no item stored twice."""
    n = 300  # a second or two of work at the tiny model's speed: the kill lands mid-run
    args = ["--model", tiny_llama_dir, "--bbq", bbq_lite, "--sample", n, "--batch-size", 2,
            "--mode", "letter", "--format", "json"]  # fmt: skip
    killed = tmp_path / "killed.sqlite"
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    cmd = [sys.executable, "-m", "auditor", "eval", *map(str, args), "--store", str(killed)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 120
    while _count(killed) < 40 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    at_kill = _count(killed)
    assert proc.returncode == -signal.SIGKILL
    assert 0 < at_kill < n, f"kill landed at {at_kill}/{n}; stderr: {proc.stderr.read()[-500:]}"

    rerun = run_here(cmd[3:])  # the rerun needs no process of its own
    assert rerun.exit_code == 0, rerun.output
    assert "resuming" in rerun.stderr
    fresh = tmp_path / "fresh.sqlite"
    clean = run_cli(*args, "--store", fresh)
    assert clean.exit_code == 0, clean.output
    assert json.loads(rerun.stdout)["run_id"] == json.loads(clean.stdout)["run_id"]

    def rows(path):
        with sqlite3.connect(path) as db:
            return db.execute(
                "SELECT item_id, predicted, role, correct, scores, text FROM answers "
                "ORDER BY item_id"
            ).fetchall()

    resumed, expected = rows(killed), rows(fresh)
    assert len(resumed) == n and len({r[0] for r in resumed}) == n
    assert resumed == expected  # byte-identical stored scores
