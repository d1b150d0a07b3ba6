"""The loader's memory of parsed bytes: the same files parse once per process; any
change of bytes, names or attributes parses again, and a failed load is never kept."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from auditor.bbq import load_bbq, loader, records
from auditor.core.errors import DataError


@pytest.fixture
def counted(monkeypatch):
    """Counts parse_record calls made by the loader."""
    calls = []
    real = records.parse_record

    def parse(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "parse_record", parse)
    return calls


def _folder(tmp_path: Path, rows, write_jsonl, name="a") -> Path:
    folder = tmp_path / name
    write_jsonl(folder / "Age.jsonl", rows)
    return folder


def test_the_same_bytes_parse_once_and_give_the_same_items(
    tmp_path, real_rows, write_jsonl, bbq_lite, counted
):
    rows = real_rows(bbq_lite / "Age.jsonl", 30)
    first = load_bbq(_folder(tmp_path, rows, write_jsonl))
    assert len(counted) == 30
    again = load_bbq(tmp_path / "a")
    assert len(counted) == 30  # not parsed again
    assert again == first
    # the same bytes in another folder: the same items, that folder named as the source
    copy = tmp_path / "b"
    shutil.copytree(tmp_path / "a", copy)
    moved = load_bbq(copy)
    assert len(counted) == 30
    assert moved.items == first.items and moved.checksum == first.checksum
    assert moved.source == str(copy) and first.source == str(tmp_path / "a")


def test_changed_bytes_parse_again_even_with_the_same_size_and_time(
    tmp_path, real_rows, write_jsonl, bbq_lite, counted
):
    rows = real_rows(bbq_lite / "Age.jsonl", 10)
    folder = _folder(tmp_path, rows, write_jsonl)
    path = folder / "Age.jsonl"
    before = load_bbq(folder)
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    i = text.index('"context": "') + len('"context": "')
    edited = text[:i] + ("X" if text[i] != "X" else "Y") + text[i + 1 :]
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    after = load_bbq(folder)
    assert len(counted) == 20
    assert after.items[0].context != before.items[0].context
    assert after.checksum != before.checksum


def test_other_attributes_or_file_names_parse_again(
    tmp_path, real_rows, write_jsonl, bbq_lite, counted
):
    folder = tmp_path / "two"
    write_jsonl(folder / "Age.jsonl", real_rows(bbq_lite / "Age.jsonl", 5))
    write_jsonl(folder / "SES.jsonl", real_rows(bbq_lite / "SES.jsonl", 5))
    assert len(load_bbq(folder).items) == 10 and len(counted) == 10
    assert len(load_bbq(folder, ["Age"]).items) == 5 and len(counted) == 15
    assert len(load_bbq(folder, ["Age"]).items) == 5 and len(counted) == 15
    renamed = tmp_path / "renamed"
    write_jsonl(renamed / "data" / "Age.jsonl", real_rows(bbq_lite / "Age.jsonl", 5))
    write_jsonl(renamed / "data" / "extra.jsonl", real_rows(bbq_lite / "SES.jsonl", 5))
    assert len(load_bbq(renamed).items) == 10 and len(counted) == 25


def test_a_failed_load_is_never_remembered(tmp_path, real_rows, write_jsonl, bbq_lite):
    rows = real_rows(bbq_lite / "Age.jsonl", 4)
    folder = _folder(tmp_path, rows, write_jsonl)
    good = load_bbq(folder)
    bad = [dict(rows[0], label=7), *rows[1:]]
    write_jsonl(folder / "Age.jsonl", bad)
    for _ in range(2):
        with pytest.raises(DataError, match="label 7 out of range"):
            load_bbq(folder)
    write_jsonl(folder / "Age.jsonl", rows)
    assert load_bbq(folder) == good
