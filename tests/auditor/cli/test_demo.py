"""The demo profile's whole audit on the real SmolLM2-135M (slow: run with -m slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_demo_audit_completes(bbq_lite, tmp_path):
    env = {**os.environ, "SPILLOVER_STORE": str(tmp_path / "runs.sqlite")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor",
            "demo",
            "--bbq",
            str(bbq_lite),
            "--format",
            "json",
            "--output",
            str(tmp_path / "report.md"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )  # the 10-minute budget
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    table = report["table"]
    assert table["target"] == ["Gender_identity"] and len(table["rows"]) == 9
    assert table["pairing"]["n_paired"] == 432
    assert "Bias spillover" in (tmp_path / "report.md").read_text()
