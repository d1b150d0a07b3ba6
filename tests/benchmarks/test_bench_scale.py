"""The study-scale benchmark's code path, run small (20 and 24 items a cell, the gate's
minimum and the demo's): every measurement at every size."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMES = (
    "comparison stage (library)",
    "pooled table, n_boot 100 (library)",
    "reports json+md+html (library)",
    "spillover compare",
    "spillover gate",
    "spillover items --failing",
    "spillover runs",
    "app: open the audit, then a cell's items (160x48)",
)

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)


def test_bench_scale_small_prints_every_measurement_at_every_size(bbq_lite, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/bench_scale.py",
            "--bbq",
            str(bbq_lite),
            "--sizes",
            "360,432",
            "--n-boot",
            "100",
            "--repeat",
            "1",
            "--dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    for n in (360, 432):
        assert re.search(rf"^\[{n} items\] store built in [\d.]+ s: [\d.]+ MiB$", out, re.M)
        assert f"[{n} items] planted effect: Physical_appearance ambig accuracy" in out
    for name in NAMES:
        assert re.search(rf"^\[360 items\] {re.escape(name)}: [\d.]+ s", out, re.M), name
        assert re.search(rf"^\[432 items\] {re.escape(name)}: [\d.]+ s \([\d.]+x\)", out, re.M)
