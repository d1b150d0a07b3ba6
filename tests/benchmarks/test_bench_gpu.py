"""The 7B-scale GPU benchmark's code path, run tiny on CPU: every measurement printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]


def test_bench_gpu_tiny_prints_every_measurement(bbq_lite):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/bench_gpu.py",
            "--tiny",
            "--bbq",
            str(bbq_lite),
            "--items",
            "16",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    measures = {r["measure"]: r for r in rows}
    assert {
        "build",
        "score_letter",
        "best_letter",
        "score_options",
        "best_options",
        "dpo_lora",
    } <= measures.keys()
    assert measures["best_letter"]["items"] == 16 and measures["best_letter"]["items_per_s"] > 0
    assert measures["dpo_lora"]["steps"] == 2 and measures["dpo_lora"]["seconds_per_step"] > 0
    for mode in ("letter", "options"):  # the prefix tree, on the same items, fp32 on CPU
        tree = measures[f"prefix_tree_{mode}"]
        assert tree["items"] == 16 and tree["identical"] == 16
        assert 0 < tree["positions_with"] < tree["positions_without"]
        assert tree["line"].startswith("prefix tree: tokens computed ratio 0.")
