"""Fixtures for the BBQ data-layer tests: the shared sets loaded once, real rows to edit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.bbq import BBQData, load_bbq
from auditor.core.items import CATEGORIES


@pytest.fixture(scope="session")
def lite_data(bbq_lite: Path) -> BBQData:
    return load_bbq(bbq_lite, CATEGORIES)


@pytest.fixture(scope="session")
def official_data(bbq_official: Path) -> BBQData:
    return load_bbq(bbq_official, CATEGORIES)


def _real_rows(path: Path, n: int | None = None) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if len(rows) == n:
                break
    return rows


def _write_jsonl(path: Path, rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def real_rows():
    """``real_rows(path, n)``: the first ``n`` records of a real BBQ file (all if None)."""
    return _real_rows


@pytest.fixture(scope="session")
def write_jsonl():
    """``write_jsonl(path, rows)``: write records as JSONL, creating folders."""
    return _write_jsonl


@pytest.fixture
def mirror(tmp_path_factory, bbq_official):
    """A local HTTP mirror of the official layout: five good files, Religion corrupted,
    the other five data files and the metadata CSV missing (404). Yields its base URL."""
    from ..helpers import serve_folder

    root = tmp_path_factory.mktemp("mirror")
    (root / "data").mkdir()
    for name in (
        "Age",
        "Disability_status",
        "Nationality",
        "Physical_appearance",
        "Sexual_orientation",
    ):
        (root / "data" / f"{name}.jsonl").symlink_to(bbq_official / f"{name}.jsonl")
    corrupt = bytearray((bbq_official / "Religion.jsonl").read_bytes())
    corrupt[100] ^= 1
    (root / "data" / "Religion.jsonl").write_bytes(bytes(corrupt))

    with serve_folder(root) as url:
        yield url
