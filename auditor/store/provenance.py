"""What a stored run records of the software that made it."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path
from typing import Any


@functools.lru_cache(maxsize=1)
def provenance() -> dict[str, Any]:
    """Package versions and the project's git commit (None outside a checkout)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in ("spillover", "torch", "transformers", "trl", "peft"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    root = Path(__file__).resolve().parents[2]
    commit = None
    if (root / ".git").exists():
        try:
            out = subprocess.run(
                ["git", "-C", str(root), "rev-parse", "HEAD"],
                capture_output=True, text=True, timeout=5, check=False,
            )  # fmt: skip
            commit = out.stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            commit = None
    return {"versions": versions, "git_commit": commit}
