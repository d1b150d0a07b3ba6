"""Bad input under a launcher, and out-of-memory while scoring: one clear line, exit 2,
nothing written. The checks run before any rank talks to another, so most are tested in
one process with a launcher's environment; one runs under a real torchrun."""

from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.core.errors import InputError
from auditor.models.distributed import per_device_batch

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[3]
TORCHRUN = Path(sys.executable).parent / "torchrun"


def launched(monkeypatch, size: int, rank: int, local_rank: int | None = None) -> None:
    monkeypatch.setenv("WORLD_SIZE", str(size))
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("LOCAL_RANK", str(rank if local_rank is None else local_rank))


def _eval(model, bbq, store, *extra):
    return CliRunner().invoke(
        main,
        [
            "eval",
            "--model",
            str(model),
            "--bbq",
            str(bbq),
            "--store",
            str(store),
            "--device",
            "cpu",
            *extra,
        ],
    )


def test_per_device_batch_keeps_the_global_batch():
    for batch, accum, size in itertools.product(range(1, 9), range(1, 5), range(1, 9)):
        if (batch * accum) % size:
            with pytest.raises(InputError, match=f"does not divide over {size} ranks"):
                per_device_batch(batch, accum, size)
            continue
        per_device, steps = per_device_batch(batch, accum, size)
        assert per_device * steps * size == batch * accum and 1 <= per_device <= batch
    assert per_device_batch(4, 1, 1) == (4, 1)  # one process: the profile's own split
    assert per_device_batch(4, 4, 8) == (2, 1)


@pytest.mark.parametrize("rank", [0, 1])
def test_more_ranks_than_batches(monkeypatch, tiny_llama_dir, bbq_lite, tmp_path, rank):
    launched(monkeypatch, 2, rank)
    store = tmp_path / "s.sqlite"
    result = _eval(tiny_llama_dir, bbq_lite, store, "--sample", "4", "--batch-size", "8")
    assert result.exit_code == 2, result.output
    if rank == 0:  # every rank finds it; rank 0 says it once
        assert result.output.strip().splitlines() == [
            "error: eval: 2 ranks for 1 batch(es) of 4 items; launch at most 1 rank(s), or "
            "lower the batch size to 2 (--batch-size, eval.batch_size)"
        ]
    else:
        assert result.output == ""
    assert not store.exists()


@pytest.mark.parametrize(
    ("size", "batch", "message"),
    [
        (3, "2", "global batch 2 x 1 = 2 pairs does not divide over 3 ranks"),
        (8, "8", "4 preference pairs for 8 ranks"),
    ],
)
def test_align_refuses_a_split_that_changes_the_batch(
    monkeypatch, small_llama_dir, bbq_lite, tmp_path, size, batch, message
):
    launched(monkeypatch, size, 0)
    out, store = tmp_path / "out", tmp_path / "s.sqlite"
    result = CliRunner().invoke(
        main,
        [
            "align",
            "--model",
            str(small_llama_dir),
            "--device",
            "cpu",
            "--bbq",
            str(bbq_lite),
            "--out",
            str(out),
            "--store",
            str(store),
            "--sample",
            "4",
            "--rejected",
            "biased",
            "--batch-size",
            batch,
            "--max-steps",
            "2",
        ],
    )
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.output
    assert not out.exists()
    if store.exists():  # the progress display opened it: no run was written
        with sqlite3.connect(store) as db:
            assert db.execute("SELECT COUNT(*) FROM runs").fetchone() == (0,)


@pytest.mark.parametrize(("local_rank", "printed"), [(None, True), (0, True), (1, False)])
def test_cuda_asked_none_present(
    monkeypatch, tiny_llama_dir, bbq_lite, tmp_path, local_rank, printed
):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    if local_rank is not None:
        launched(monkeypatch, 2, local_rank)
    store = tmp_path / "s.sqlite"
    result = _eval(tiny_llama_dir, bbq_lite, store, "--sample", "8", "--device", "cuda")
    assert result.exit_code == 2, result.output
    device = "cuda" if local_rank is None else f"cuda:{local_rank}"
    expected = [f"error: device {device}: CUDA is not available here; use --device cpu"]
    assert result.output.strip().splitlines() == (expected if printed else [])
    assert not store.exists()


@pytest.mark.parametrize(
    "error",
    [
        "cuda",
        "CUDA out of memory. Tried to allocate 2.00 GiB",
        "MPS backend out of memory (MPS allocated: 8.00 GB)",
    ],
)
def test_out_of_memory_while_scoring_names_a_batch_size(
    monkeypatch, tiny_llama_dir, bbq_lite, tmp_path, error
):
    import torch
    from transformers import LlamaForCausalLM

    def forward(*args, **kwargs):
        if error == "cuda":
            raise torch.cuda.OutOfMemoryError("CUDA error: out of memory")
        raise RuntimeError(error)

    monkeypatch.setattr(LlamaForCausalLM, "forward", forward)
    store = tmp_path / "s.sqlite"
    result = _eval(tiny_llama_dir, bbq_lite, store, "--sample", "8", "--batch-size", "8")
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: out of memory scoring a batch of 8 items on cpu; try a batch size "
        "of 4 (--batch-size 4, or eval.batch_size in a profile); stored batches "
        "are kept"
    ]
    with sqlite3.connect(store) as db:  # the run says why it stopped; no answer half-stored
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone() == (0,)
        (status,) = db.execute("SELECT status FROM runs").fetchone()
    assert status == "failed"


def test_out_of_memory_at_batch_one(monkeypatch, tiny_llama_dir, bbq_lite, tmp_path):
    from transformers import LlamaForCausalLM

    def forward(*args, **kwargs):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(LlamaForCausalLM, "forward", forward)
    result = _eval(
        tiny_llama_dir, bbq_lite, tmp_path / "s.sqlite", "--sample", "4", "--batch-size", "1"
    )
    assert result.exit_code == 2
    assert "a batch size of 1 does not fit" in result.output


def test_other_runtime_errors_are_not_called_out_of_memory(
    monkeypatch, tiny_llama_dir, bbq_lite, tmp_path
):
    from transformers import LlamaForCausalLM

    def forward(*args, **kwargs):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(LlamaForCausalLM, "forward", forward)
    result = _eval(tiny_llama_dir, bbq_lite, tmp_path / "s.sqlite", "--sample", "4")
    assert result.exit_code == 3 and "RuntimeError: shape mismatch" in result.output


@pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun is not installed beside this Python")
def test_under_torchrun_the_error_is_one_line_and_every_rank_exits_2(
    tiny_llama_dir, bbq_lite, tmp_path
):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = tmp_path / "s.sqlite"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            str(TORCHRUN),
            "--nproc_per_node",
            "2",
            "--master_port",
            str(port),
            "-m",
            "auditor",
            "eval",
            "--model",
            str(tiny_llama_dir),
            "--bbq",
            str(bbq_lite),
            "--device",
            "cpu",
            "--sample",
            "4",
            "--batch-size",
            "8",
            "--store",
            str(store),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    ours = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert ours == [
        "error: eval: 2 ranks for 1 batch(es) of 4 items; launch at most 1 rank(s), "
        "or lower the batch size to 2 (--batch-size, eval.batch_size)"
    ]
    # the launcher's summary: the first rank to finish exited 2 (the other may be stopped)
    assert "Root Cause" in done.stderr and "exitcode  : 2" in done.stderr
    assert not store.exists()


def test_more_ranks_than_gpus_on_a_machine(monkeypatch, tiny_llama_dir, bbq_lite, tmp_path):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    launched(monkeypatch, 2, 1)
    store = tmp_path / "s.sqlite"
    result = _eval(tiny_llama_dir, bbq_lite, store, "--sample", "8", "--device", "cuda")
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        "error: rank 1: device cuda:1: this machine has 1 GPU(s); under a launcher each rank "
        "takes one, so launch at most that many ranks a machine"
    ]
    assert not store.exists()
