"""The study-scale benchmark's code path, run small (20 and 24 items a cell, the gate's
minimum and the demo's): every measurement at every size; the library calls' memory
tracing on its own (the run skips that second, traced call)."""

from __future__ import annotations

import importlib.util
import math
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
            "--no-memory",
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


def test_a_library_calls_memory_is_its_traced_peak():
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "benchmarks/bench_scale.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    wall, peak, out = bench.timed_call(lambda: [0.5] * 2_000_000)  # a 15 MiB list
    assert wall > 0 and 14 < peak < 40 and len(out) == 2_000_000
    wall, peak, _ = bench.timed_call(lambda: [0.5] * 2_000_000, memory=False)
    assert wall > 0 and math.isnan(peak)
