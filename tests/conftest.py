"""Shared test fixtures: where the BBQ data lives, and quiet, stable torch threading."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SHARED_BBQ = Path(__file__).resolve().parents[1].parent / "shared" / "bbq"


@pytest.fixture(scope="session")
def bbq_root() -> Path:
    """../shared/bbq, beside the checkout."""
    if not SHARED_BBQ.is_dir():
        pytest.skip(f"BBQ data not found at {SHARED_BBQ}")
    return SHARED_BBQ


@pytest.fixture(scope="session")
def bbq_lite(bbq_root: Path) -> Path:
    return bbq_root / "lite"


@pytest.fixture(scope="session")
def bbq_official(bbq_root: Path) -> Path:
    return bbq_root / "official"
