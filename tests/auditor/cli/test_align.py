"""`spillover align`: arguments and errors via CliRunner; SIGKILL + rerun via a real process."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main

from ..helpers import kill_when, run_here

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def small_dir(small_llama_dir):
    return small_llama_dir


def test_help_lists_the_training_flags():
    result = CliRunner().invoke(main, ["align", "--help"])
    assert result.exit_code == 0
    for flag in ("--target", "--out", "--beta", "--lr", "--lora-r", "--max-steps", "--sample",
                 "--merge", "--qlora", "--exclude-trans", "--rejected", "--method",
                 "--label-smoothing", "--kto-desirable-weight", "--kto-undesirable-weight",
                 "--orpo-lambda", "--simpo-beta", "--simpo-gamma", "--cpo-alpha"):  # fmt: skip
        assert flag in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--target", "Gender"], "unknown attribute 'Gender'"),
        (["--qlora"], "--qlora needs a CUDA GPU"),
        (["--method", "kto", "--batch-size", "1"], "batch_size must be >= 2 for kto"),
    ],
)
def test_bad_input_is_one_line_exit_2(small_dir, bbq_lite, tmp_path, extra, message):
    args = ["align", "--model", str(small_dir), "--device", "cpu", "--bbq", str(bbq_lite),
            "--out", str(tmp_path / "out"), "--store", str(tmp_path / "s.sqlite"), *extra]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2  # the stage line, then the error


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--method", "ppo"], "'ppo' is not one of 'dpo', 'ipo'"),
        (["--label-smoothing", "0.5"], "0.5 is not in the range 0<=x<0.5"),
    ],
)
def test_bad_method_flags_are_usage_errors(tmp_path, extra, message):
    result = CliRunner().invoke(main, ["align", "--out", str(tmp_path / "o"), *extra])
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()


STEPS = 12  # checkpoints every 3 steps: the kill comes at the second, 6 steps before the end


def _align(small_dir, bbq_lite, tmp_path, *extra):
    return [sys.executable, "-m", "auditor", "align", "--model", str(small_dir),
            "--device", "cpu", "--bbq", str(bbq_lite), "--out", str(tmp_path / "out"),
            "--store", str(tmp_path / "runs.sqlite"), "--sample", "4", "--rejected", "biased",
            "--batch-size", "1", "--max-steps", str(STEPS), "--save-steps", "3", "--lr", "1e-3",
            "--format", "json", *extra]  # fmt: skip


@pytest.mark.parametrize("method", ["dpo", "kto"])
def test_sigkill_mid_training_then_rerun_completes(small_dir, bbq_lite, tmp_path, method):
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "PYTHONPATH": str(ROOT)}
    extra = ("--method", "kto", "--batch-size", "2") if method == "kto" else ()
    cmd = _align(small_dir, bbq_lite, tmp_path, *extra)
    checkpoints = tmp_path / "out" / "checkpoints"
    # killed once the second checkpoint is written: the first is sealed by then (a kill
    # between a save and its seal would leave nothing to resume, which is right but
    # proves nothing), the second may be cut short of its seal and must be dropped
    kill_when(
        cmd,
        lambda: (checkpoints / "checkpoint-6" / "trainer_state.json").is_file(),
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert not (tmp_path / "out" / "adapter").exists()

    done = run_here(cmd[3:])  # the rerun needs no process of its own
    assert done.exit_code == 0, done.output
    assert (
        "resuming from checkpoint-3" in done.stderr or "resuming from checkpoint-6" in done.stderr
    )
    result = json.loads(done.stdout)
    assert result["metrics"]["global_step"] == STEPS == result["metrics"]["max_steps"]
    assert result["method"] == method
    assert Path(result["adapter_dir"], "adapter_model.safetensors").is_file()

    from auditor.store.db import Store

    with Store(tmp_path / "runs.sqlite") as store:
        steps = [row["step"] for row in store.train_log(result["run_id"])]
        assert steps == list(range(1, STEPS + 1))
        run = store.run(result["run_id"])
        assert run.status == "done" and run.settings["method"] == method
        if method == "kto":  # the log holds KTO's own figures (margins: mixed batches only)
            last = set(store.train_log(result["run_id"])[-1])
            assert "kl" in last and {"rewards/chosen", "rewards/rejected"} & last
