"""`spillover align`: arguments and errors via CliRunner; SIGKILL + rerun via a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main

from ..helpers import kill_when

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def small_dir(small_llama_dir):
    return small_llama_dir


def test_help_lists_the_training_flags():
    result = CliRunner().invoke(main, ["align", "--help"])
    assert result.exit_code == 0
    for flag in ("--target", "--out", "--beta", "--lr", "--lora-r", "--max-steps", "--sample",
                 "--merge", "--qlora", "--exclude-trans", "--rejected"):  # fmt: skip
        assert flag in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--target", "Gender"], "unknown attribute 'Gender'"),
        (["--qlora"], "--qlora needs a CUDA GPU"),
    ],
)
def test_bad_input_is_one_line_exit_2(small_dir, bbq_lite, tmp_path, extra, message):
    args = ["align", "--model", str(small_dir), "--device", "cpu", "--bbq", str(bbq_lite),
            "--out", str(tmp_path / "out"), "--store", str(tmp_path / "s.sqlite"), *extra]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2  # the stage line, then the error


def _align(small_dir, bbq_lite, tmp_path):
    return [sys.executable, "-m", "auditor", "align", "--model", str(small_dir),
            "--device", "cpu", "--bbq", str(bbq_lite), "--out", str(tmp_path / "out"),
            "--store", str(tmp_path / "runs.sqlite"), "--sample", "4", "--rejected", "biased",
            "--batch-size", "1", "--max-steps", "16", "--save-steps", "3", "--lr", "1e-3",
            "--format", "json"]  # fmt: skip


def test_sigkill_mid_training_then_rerun_completes(small_dir, bbq_lite, tmp_path):
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "PYTHONPATH": str(ROOT)}
    cmd = _align(small_dir, bbq_lite, tmp_path)
    checkpoints = tmp_path / "out" / "checkpoints"
    kill_when(cmd, lambda: list(checkpoints.glob("checkpoint-*/trainer_state.json")),
              env=env, cwd=ROOT, timeout=120)
    assert not (tmp_path / "out" / "adapter").exists()

    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "resuming from checkpoint-" in done.stderr
    result = json.loads(done.stdout)
    assert result["metrics"]["global_step"] == 16 == result["metrics"]["max_steps"]
    assert Path(result["adapter_dir"], "adapter_model.safetensors").is_file()

    from auditor.store.db import Store

    with Store(tmp_path / "runs.sqlite") as store:
        steps = [row["step"] for row in store.train_log(result["run_id"])]
        assert steps == list(range(1, 17))
        assert store.run(result["run_id"]).status == "done"
