"""DPO under torchrun (gloo on CPU, 2 ranks, shared prompts): the single-process loss curve of
trl's own forward, rank 0 the only writer (the other rank never touches the store's folder), a rank killed and then the
launcher killed, and a rerun that resumes to one adapter with every step logged once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..helpers import run_here

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[3]
TORCHRUN = Path(sys.executable).parent / "torchrun"
STEPS = 12

# Each rank runs in its own folder: the store's relative path exists for rank 0 only, and
# an audit hook on rank 1 writes down any file event naming the store's folder.
RANK_WRAPPER = """
import os, sys
rank = int(os.environ["RANK"])
os.chdir(sys.argv[1] if rank == 0 else sys.argv[2])
if rank != 0:
    log = os.open(sys.argv[3], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    def hook(event, args):
        if any("rank0-only" in str(a) for a in args if isinstance(a, (str, bytes, os.PathLike))):
            os.write(log, f"{event} {args!r}\\n".encode())
    sys.addaudithook(hook)
sys.argv = ["spillover", *sys.argv[4:]]
from auditor.cli import main
main(prog_name="spillover")
"""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _align_args(model, bbq, out, store) -> list[str]:
    return [
        "align",
        "--model",
        str(model),
        "--device",
        "cpu",
        "--bbq",
        str(bbq),
        "--out",
        str(out),
        "--store",
        str(store),
        "--sample",
        "4",
        "--rejected",
        "biased",
        "--batch-size",
        "2",
        "--max-steps",
        str(STEPS),
        "--save-steps",
        "2",
        "--lr",
        "1e-3",
        "--lora-dropout",
        "0",
        "--format",
        "json",
    ]


def _log(store: Path) -> list[tuple[int, float]]:
    if not store.exists():
        return []
    try:
        with sqlite3.connect(store, timeout=5) as db:
            rows = db.execute("SELECT step, metrics FROM train_logs ORDER BY step").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    return [(step, json.loads(metrics)["loss"]) for step, metrics in rows]


def _wait_for(proc, ready, timeout=240):
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.monotonic() < deadline, f"not ready within {timeout} s"
        time.sleep(0.02)


@pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun is not installed beside this Python")
def test_two_rank_dpo_kills_and_resumes(small_llama_dir, bbq_lite, tmp_path):
    import psutil

    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OMP_WAIT_POLICY": "PASSIVE",
        "PYTHONPATH": str(ROOT),
    }
    # the reference: one process (this one, on one thread as each rank), the same global
    # batch, trl's own forward (the ranks below compute each prompt once: shared_prompt's auto)
    ref_args = _align_args(small_llama_dir, bbq_lite, tmp_path / "ref", tmp_path / "ref.sqlite")
    ref = run_here([*ref_args, "--shared-prompt", "off"], threads=1)
    assert ref.exit_code == 0, ref.output[-3000:]
    assert "shared prompt" not in ref.stderr
    reference = _log(tmp_path / "ref.sqlite")
    assert [s for s, _ in reference] == list(range(1, STEPS + 1))

    wrapper = tmp_path / "rank_wrapper.py"
    wrapper.write_text(RANK_WRAPPER)
    home0, home1 = tmp_path / "rank0", tmp_path / "rank1"
    (home0 / "rank0-only").mkdir(parents=True)
    home1.mkdir()
    touched = tmp_path / "rank1-touched.log"
    store = home0 / "rank0-only" / "runs.sqlite"
    out = tmp_path / "out"

    def launch():
        cmd = [
            str(TORCHRUN),
            "--nproc_per_node",
            "2",
            "--master_port",
            str(_free_port()),
            str(wrapper),
            str(home0),
            str(home1),
            str(touched),
            *_align_args(small_llama_dir, bbq_lite, out, "rank0-only/runs.sqlite"),
        ]
        return subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def workers(proc):
        found = {}
        while len(found) < 2:
            for child in psutil.Process(proc.pid).children(recursive=True):
                rank = child.environ().get("RANK")
                if rank is not None and "rank_wrapper" in " ".join(child.cmdline()):
                    found[int(rank)] = child
            time.sleep(0.02)
        return found

    # 1. rank 1 dies (SIGKILL) mid-training: the run fails with a clear line, checkpoints kept
    first = launch()
    _wait_for(first, lambda: len(_log(store)) >= 3)
    workers(first)[1].send_signal(signal.SIGKILL)
    _, err = first.communicate(timeout=120)
    assert first.returncode != 0
    assert "stopped by the launcher" in err or "another rank stopped" in err, err[-3000:]
    with sqlite3.connect(store) as db:
        status, record = db.execute(
            "SELECT status, record FROM runs WHERE kind = 'train'"
        ).fetchone()
    assert status in ("interrupted", "failed") and json.loads(record)["error"]

    # 2. the launcher is SIGKILLed: its ranks stop with it
    second = launch()
    _wait_for(second, lambda: len(_log(store)) >= 7)
    ranks = list(workers(second).values())
    second.send_signal(signal.SIGKILL)
    second.communicate(timeout=60)
    gone, alive = psutil.wait_procs(ranks, timeout=60)
    assert not alive, f"ranks outlived their launcher: {alive}"
    assert not (out / "adapter").exists()

    # 3. the rerun resumes and finishes: one adapter, every step logged once, same losses
    third = launch()
    stdout, err = third.communicate(timeout=300)
    assert third.returncode == 0, err[-3000:]
    assert "resuming from checkpoint-" in err
    assert "shared prompt: each batch's rows run as one prefix tree" in err
    result = json.loads(stdout)  # one JSON document: only rank 0 printed
    assert result["metrics"]["global_step"] == STEPS
    logged = _log(store)
    assert [s for s, _ in logged] == list(range(1, STEPS + 1))
    for (step, loss), (_, expected) in zip(logged, reference, strict=True):
        assert loss == pytest.approx(expected, abs=1e-4), step
    with sqlite3.connect(store) as db:
        runs = db.execute("SELECT id, status, record FROM runs WHERE kind = 'train'").fetchall()
        rows = db.execute("SELECT COUNT(*), COUNT(DISTINCT step) FROM train_logs").fetchone()
    assert len(runs) == 1 and runs[0][1] == "done" and rows == (STEPS, STEPS)
    assert json.loads(runs[0][2])["batch"] == {
        "world_size": 2,
        "per_device_batch": 1,
        "grad_accum": 1,
        "global_batch": 2,
    }
    assert sorted(p.name for p in out.iterdir() if "adapter" in p.name) == ["adapter"]

    # the adapter reloads and holds the single-process weights
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    mine = load_file(out / "adapter" / "adapter_model.safetensors")
    theirs = load_file(tmp_path / "ref" / "adapter" / "adapter_model.safetensors")
    assert mine.keys() == theirs.keys()
    for name in mine:
        assert (mine[name] - theirs[name]).abs().max().item() < 1e-4, name
    model = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(small_llama_dir), str(out / "adapter")
    )
    assert model.peft_config["default"].r == 16

    # rank 1 never touched the store: nothing in its folder, no file event naming it
    assert list(home1.iterdir()) == []
    assert not touched.exists() or touched.read_text() == ""
    shutil.rmtree(out, ignore_errors=True)
