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
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):  # pytest -n: the cores shared among workers
    workers = int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (cores or 1) // workers)))

CHECKOUT = Path(__file__).resolve().parents[1]
CANDIDATES = [
    Path(os.environ["SPILLOVER_TEST_BBQ"]) if os.environ.get("SPILLOVER_TEST_BBQ") else None,
    *(folder / "shared" / "bbq" for folder in CHECKOUT.parents),  # ../shared/bbq, ../../shared/bbq
]
SHARED_BBQ = next((p for p in CANDIDATES if p and (p / "lite").is_dir()), CANDIDATES[1])
_SKIPPED_FOR_DATA: list[str] = []


@pytest.fixture(scope="session")
def bbq_root() -> Path:
    """The BBQ test data: $SPILLOVER_TEST_BBQ, else shared/bbq beside the checkout or
    beside a folder above it."""
    if not (SHARED_BBQ / "lite").is_dir():
        _SKIPPED_FOR_DATA.append(str(SHARED_BBQ))
        pytest.skip(f"BBQ data not found at {SHARED_BBQ}")
    return SHARED_BBQ


def pytest_terminal_summary(terminalreporter):
    """Say loudly when tests were skipped for want of the BBQ data: they proved nothing."""
    if _SKIPPED_FOR_DATA:
        terminalreporter.write_sep(
            "!",
            f"BBQ test data missing at {_SKIPPED_FOR_DATA[0]}: "
            "most tests were SKIPPED; set SPILLOVER_TEST_BBQ",
            red=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def bbq_lite(bbq_root: Path) -> Path:
    return bbq_root / "lite"


@pytest.fixture(scope="session")
def bbq_official(bbq_root: Path) -> Path:
    return bbq_root / "official"


def pytest_configure(config):
    """pytest-xdist hands out the files in this order (not the most tests first)."""
    config.option.loadscopereorder = False


def pytest_collection_modifyitems(items):
    """Modules marked ``heavy`` run first, in their collected order: under ``--dist loadfile``
    a worker that starts a long module while the other runs out of files ends the suite
    alone; started first, the long modules are spread and the short ones even the end out."""
    items.sort(key=lambda item: item.get_closest_marker("heavy") is None)


def pytest_collection_finish(session):
    """Import the heavy libraries the tests use, then move every object alive into the
    garbage collector's permanent generation (``gc.freeze``): each training's start runs
    a full ``gc.collect()`` (accelerate's ``free_memory``), which otherwise walks the
    half million objects of torch, transformers, trl and Textual every time."""
    import gc

    import peft  # noqa: F401
    import textual.app  # noqa: F401
    import torch  # noqa: F401
    import transformers.models.llama.modeling_llama  # noqa: F401
    import trl  # noqa: F401

    gc.collect()
    gc.freeze()
