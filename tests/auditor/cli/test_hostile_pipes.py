"""Hostile cases for standard streams: a reader that closes early (`| head -1`, a pager
quit, a CI step that stops reading) never changes the exit code and never prints a
traceback. Real `python -m auditor` processes in real pipelines under ``pipefail``."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.bbq import load_bbq, sample
from auditor.core.answers import Answer
from auditor.store.db import Store

from ..audit_fixtures import synthetic_runs

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_WAIT_POLICY": "PASSIVE"}
NOISE = ("Traceback", "BrokenPipe", "Broken pipe", "Exception ignored")


@pytest.fixture(scope="module")
def runs(tmp_path_factory, bbq_lite):
    """A store with run A, run B (Physical_appearance answered with its biased option: the
    gate fails) and run C (A with three answers changed: the gate passes)."""
    items = sample(load_bbq(bbq_lite).items, per_cell=20, seed=0)
    store = tmp_path_factory.mktemp("pipes") / "runs.sqlite"
    with Store(store) as opened:
        run_a, run_b = synthetic_runs(opened, items)
        answers = opened.answers(run_a)
        changed = [
            Answer(a.item_id, (a.predicted + 1) % 3) if i < 3 else a for i, a in enumerate(answers)
        ]
        run_c = opened.create_or_get_run("eval", "synthetic-c", model="synthetic", total=len(items))
        by_id = {it.id: it for it in items}
        opened.add_answers(run_c, [by_id[a.item_id] for a in changed], changed)
        opened.update_run(run_c, "done")
    return {"store": str(store), "bbq": str(bbq_lite), "a": run_a, "b": run_b, "c": run_c}


def _cmd(runs, *args) -> list[str]:
    return [sys.executable, "-m", "auditor", *args, "--store", runs["store"]]


def _cases(runs) -> dict[str, tuple[list[str], int, str]]:
    """name -> (command, the exit code it has with nobody closing its stdout, a stderr line)."""
    bbq = ("--bbq", runs["bbq"])
    a, b, c = runs["a"], runs["b"], runs["c"]
    return {
        "items": (_cmd(runs, "items", a, *bbq), 0, ""),
        "items json": (_cmd(runs, "items", a, *bbq, "--format", "json"), 0, ""),
        "runs": (_cmd(runs, "runs"), 0, ""),
        "compare": (_cmd(runs, "compare", a, b, *bbq, "--n-boot", "200"), 0, ""),
        "gate passes": (_cmd(runs, "gate", a, c, *bbq), 0, ""),
        "gate fails": (
            _cmd(runs, "gate", a, b, *bbq, "--format", "json"),
            1,
            "FAIL Physical_appearance/ambig accuracy",
        ),
        "gate refused": (
            _cmd(runs, "gate", a, c, *bbq, "--min-paired", "100000"),
            2,
            "error: gate cannot judge, so it does not pass",
        ),
        "bad run id": (_cmd(runs, "items", "eval-nope", *bbq), 2, "error: "),
        "help": ([sys.executable, "-m", "auditor", "--help"], 0, ""),
        "profiles": ([sys.executable, "-m", "auditor", "profiles"], 0, ""),
        "data info": ([sys.executable, "-m", "auditor", "data", "info", runs["bbq"]], 0, ""),
    }


CASES = (
    "items",
    "items json",
    "runs",
    "compare",
    "gate passes",
    "gate fails",
    "gate refused",
    "bad run id",
    "help",
    "profiles",
    "data info",
)


def _closed_reader(cmd, *, stderr_too: bool = False) -> tuple[int, str]:
    """Run ``cmd`` with stdout on a pipe whose reader has already gone: every write to it
    fails with EPIPE, deterministically."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=ENV, stdout=write,
                              stderr=write if stderr_too else subprocess.PIPE, text=True,
                              timeout=300)  # fmt: skip
    finally:
        os.close(write)
    return proc.returncode, proc.stderr or ""


def _head(cmd, *, extra: str = "") -> tuple[int, str, str]:
    """``cmd | head -1`` under bash's pipefail, as a CI shell runs it: the pipeline's exit
    code (the command's own unless it is 0), its stderr and the line head printed."""
    script = f"set -o pipefail; {shlex.join(cmd)} {extra} | head -1"
    proc = subprocess.run(["bash", "-c", script], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    return proc.returncode, proc.stderr, proc.stdout


@pytest.mark.parametrize("name", CASES)
def test_closed_stdout_keeps_the_exit_code(runs, name):
    cmd, code, line = _cases(runs)[name]
    rc, err = _closed_reader(cmd)
    assert rc == code, err
    assert line in err and not any(n in err for n in NOISE), err


@pytest.mark.parametrize("name", ["items", "gate passes", "gate fails", "gate refused"])
def test_head_1_under_pipefail(runs, name):
    """The failures reported: `items | head -1` exit 3, a passing gate exit 1 with an empty
    stderr, a refused gate's line lost. (`items` writes far more than a pipe holds, so
    head is gone long before it finishes.)"""
    cmd, code, line = _cases(runs)[name]
    rc, err, first = _head(cmd)
    assert rc == code, err
    assert first.strip() and line in err and not any(n in err for n in NOISE), err


def test_unpiped_exit_codes_are_the_ones_kept(runs):
    """The codes above are the commands' own: the same commands with stdout to /dev/null."""
    for name in ("gate passes", "gate fails", "gate refused"):
        cmd, code, _ = _cases(runs)[name]
        proc = subprocess.run(
            cmd,
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
        assert proc.returncode == code, (name, proc.stderr)


@pytest.mark.parametrize("name", ["gate fails", "gate refused", "bad run id"])
def test_stderr_closed_too_keeps_the_exit_code(runs, name):
    cmd, code, _ = _cases(runs)[name]
    rc, _ = _closed_reader(cmd, stderr_too=True)
    assert rc == code
    rc, err, _ = _head(cmd, extra="2>&1")
    assert rc == code and not err


def test_files_are_still_written_when_stdout_closes(runs, tmp_path):
    cmd, code, _ = _cases(runs)["gate fails"]
    outputs = [tmp_path / "rep.json", tmp_path / "junit.xml"]
    rc, err = _closed_reader([*cmd, *(a for o in outputs for a in ("--output", str(o)))])
    assert rc == code == 1, err
    assert all(o.is_file() and o.stat().st_size > 0 for o in outputs)
    assert err.count("wrote ") == 2


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_eval_with_closed_stdout_stores_its_run_and_exits_0(
    tiny_llama_dir, bbq_lite, tmp_path, fmt
):
    store = tmp_path / "runs.sqlite"
    cmd = [
        sys.executable,
        "-m",
        "auditor",
        "eval",
        "--model",
        str(tiny_llama_dir),
        "--bbq",
        str(bbq_lite),
        "--sample",
        "12",
        "--store",
        str(store),
        "--format",
        fmt,
    ]
    rc, err = _closed_reader(cmd)
    assert rc == 0 and not any(n in err for n in NOISE), err
    with Store(store) as opened:
        assert [r.status for r in opened.runs()] == ["done"]
