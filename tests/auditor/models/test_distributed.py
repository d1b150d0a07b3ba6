"""Data-parallel evaluation under torchrun (gloo on CPU): the same answers as one process,
rank 0 the only writer, and a resume that rank 0 shares with the others."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.models.distributed import World, world

from ..helpers import run_here

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[3]


def test_world_without_a_launcher_is_one_process(monkeypatch):
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert world() == World(0, 1, 0) and world().is_main and not world().parallel
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert world() == World(2, 4, 1) and not world().is_main


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rows(path):
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT run_id, item_id, predicted, scores FROM answers ORDER BY item_id"
        ).fetchall()


def _eval_args(store, model, bbq, n=72, extra=()) -> list[str]:
    return [
        "eval",
        "--model",
        str(model),
        "--bbq",
        str(bbq),
        "--sample",
        str(n),
        "--batch-size",
        "4",
        "--format",
        "json",
        "--store",
        str(store),
        *extra,
    ]


def _eval(prefix, store, model, bbq, n=72, extra=()):
    args = [*prefix, "-m", "auditor", *_eval_args(store, model, bbq, n, extra)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def _eval_here(store, model, bbq, n=72, extra=()):
    """The one-process reference, run in this process on one thread, as each rank runs."""
    return run_here(_eval_args(store, model, bbq, n, extra), threads=1)


@pytest.mark.skipif(
    shutil.which("torchrun", path=str(Path(sys.executable).parent)) is None,
    reason="torchrun is not installed beside this Python",
)
def test_torchrun_two_ranks_store_the_same_answers(tmp_path, tiny_llama_dir, bbq_lite):
    torchrun = str(Path(sys.executable).parent / "torchrun")
    launch = [torchrun, "--nproc_per_node", "2", "--master_port", str(_free_port())]
    single, parallel = tmp_path / "single.sqlite", tmp_path / "parallel.sqlite"
    one = _eval_here(single, tiny_llama_dir, bbq_lite)
    assert one.exit_code == 0, one.output
    two = _eval(launch, parallel, tiny_llama_dir, bbq_lite)
    assert two.returncode == 0, two.stderr[-2000:]
    assert json.loads(two.stdout)["run_id"] == json.loads(one.stdout)["run_id"]  # one printer
    assert len(_rows(single)) == 72 and _rows(parallel) == _rows(single)
    # rank 0 shares what is stored: a rerun resumes and scores nothing again
    launch[-1] = str(_free_port())
    again = _eval(launch, parallel, tiny_llama_dir, bbq_lite)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "72 of 72 items already stored" in again.stderr
    assert _rows(parallel) == _rows(single)


@pytest.mark.skipif(
    shutil.which("torchrun", path=str(Path(sys.executable).parent)) is None,
    reason="torchrun is not installed beside this Python",
)
def test_torchrun_two_ranks_rotate_option_orders_like_one_process(
    tmp_path, tiny_llama_dir, bbq_lite
):
    torchrun = str(Path(sys.executable).parent / "torchrun")
    launch = [torchrun, "--nproc_per_node", "2", "--master_port", str(_free_port())]
    single, parallel = tmp_path / "single.sqlite", tmp_path / "parallel.sqlite"
    rotate = ("--orders", "cyclic")
    one = _eval_here(single, tiny_llama_dir, bbq_lite, n=24, extra=rotate)
    assert one.exit_code == 0, one.output
    two = _eval(launch, parallel, tiny_llama_dir, bbq_lite, n=24, extra=rotate)
    assert two.returncode == 0, two.stderr[-2000:]
    assert json.loads(two.stdout)["position_bias"] == json.loads(one.stdout)["position_bias"]

    def orders(path):
        with sqlite3.connect(path) as db:
            return db.execute(
                "SELECT item_id, ordering, predicted, scores FROM order_answers "
                "ORDER BY item_id, ordering"
            ).fetchall()

    assert len(orders(single)) == 72 and orders(parallel) == orders(single)
    assert len(_rows(single)) == 24 and _rows(parallel) == _rows(single)
