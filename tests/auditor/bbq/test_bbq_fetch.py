"""Checksums, verification and fetching, against a local HTTP mirror of real files."""

from __future__ import annotations

import hashlib
import socket

import pytest

from auditor.bbq.checksums import COMMIT, MISMATCH, MISSING, OFFICIAL, OK, verify
from auditor.bbq.fetch import BASE_URL_ENV, DEFAULT_BASE_URL, FAILED, FETCHED, SKIPPED, fetch
from auditor.core.errors import DataError

GOOD = {
    "data/Age.jsonl",
    "data/Disability_status.jsonl",
    "data/Nationality.jsonl",
    "data/Physical_appearance.jsonl",
    "data/Sexual_orientation.jsonl",
}


def test_builtin_table_matches_the_real_files(bbq_official):
    assert len(OFFICIAL) == 12 and sum(f.rows for f in OFFICIAL) == 58492 * 2
    for f in OFFICIAL:
        path = bbq_official / f.name
        if path.exists():
            assert hashlib.sha256(path.read_bytes()).hexdigest() == f.sha256
            assert path.read_bytes().count(b"\n") == f.rows
    assert DEFAULT_BASE_URL.endswith(f"/nyu-mll/BBQ/{COMMIT}")


def test_verify_the_shared_official_folder(bbq_official):
    checks = {c.path: c.status for c in verify(bbq_official)}
    assert sum(s == OK for s in checks.values()) == 6
    assert [p for p, s in checks.items() if s == MISSING] == [
        "data/Gender_identity.jsonl",
        "data/Race_ethnicity.jsonl",
        "data/Race_x_SES.jsonl",
        "data/Race_x_gender.jsonl",
        "data/SES.jsonl",
        "supplemental/additional_metadata.csv",
    ]


def test_verify_finds_a_mismatch_in_the_data_layout(tmp_path, bbq_official, bbq_lite):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "Age.jsonl").symlink_to(bbq_lite / "Age.jsonl")  # not official
    (tmp_path / "data" / "Religion.jsonl").symlink_to(bbq_official / "Religion.jsonl")
    checks = {c.path: c for c in verify(tmp_path)}
    assert checks["data/Age.jsonl"].status == MISMATCH
    assert checks["data/Religion.jsonl"].status == OK
    assert checks["data/Religion.jsonl"].found == str(tmp_path / "data" / "Religion.jsonl")


def test_verify_missing_folder(tmp_path):
    with pytest.raises(DataError, match="no such directory"):
        verify(tmp_path / "nope")


def test_fetch_keeps_only_verified_files(tmp_path, mirror):
    seen = []
    results = fetch(tmp_path / "bbq", mirror, report=seen.append)
    assert results == seen and len(results) == 12
    status = {r.path: r for r in results}
    assert {p for p, r in status.items() if r.status == FETCHED} == GOOD
    assert "SHA-256 mismatch" in status["data/Religion.jsonl"].detail
    assert status["data/SES.jsonl"].detail.startswith("HTTP 404")
    assert status["supplemental/additional_metadata.csv"].status == FAILED
    kept = {
        str(p.relative_to(tmp_path / "bbq")) for p in (tmp_path / "bbq").rglob("*") if p.is_file()
    }
    assert kept == GOOD  # no corrupted file, no temporary leftovers
    assert {c.path for c in verify(tmp_path / "bbq") if c.status == OK} == GOOD


def test_second_fetch_skips_verified_files(tmp_path, mirror, monkeypatch):
    fetch(tmp_path, mirror)
    monkeypatch.setenv(BASE_URL_ENV, mirror)
    again = {r.path: r.status for r in fetch(tmp_path)}
    assert {p for p, s in again.items() if s == SKIPPED} == GOOD


def test_fetch_replaces_a_corrupted_local_copy(tmp_path, mirror):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "Age.jsonl").write_text("stale\n")
    status = {r.path: r.status for r in fetch(tmp_path, mirror)}
    assert status["data/Age.jsonl"] == FETCHED
    assert next(c for c in verify(tmp_path) if c.path == "data/Age.jsonl").status == OK


def test_unreachable_server_fails_each_file_cleanly(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    results = fetch(tmp_path, f"http://127.0.0.1:{port}", timeout=5)
    assert all(r.status == FAILED and "cannot download" in r.detail for r in results)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
