"""The lm-eval output beside the BBQ test data (../shared/interop/lm-eval)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def lm_eval_dir(bbq_root: Path) -> Path:
    folder = bbq_root.parent / "interop" / "lm-eval"
    if not (folder / "samples_bbq.jsonl").is_file():
        pytest.skip(f"lm-eval test output not found at {folder}")
    return folder


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_lines(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
