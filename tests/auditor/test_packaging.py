"""A built wheel carries what an installed spillover needs beyond its Python files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_carries_profiles_and_stylesheet(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = tmp_path.glob("spillover-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = {p.name for p in (ROOT / "profiles").glob("*.toml")}
    assert {"demo.toml", "ci.toml", "mistral-7b.toml"} <= bundled
    assert {f"auditor/bundled_profiles/{n}" for n in bundled} <= names
    assert "tui/app.tcss" in names
