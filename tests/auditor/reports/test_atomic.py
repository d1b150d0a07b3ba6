"""Report files replaced atomically, with the umask's mode, and untouched on failure."""

from __future__ import annotations

import os

import pytest

from auditor.reports.atomic import replacing, umask_mode, write_text


@pytest.fixture
def mask():
    saved = os.umask(0o027)
    yield 0o027
    os.umask(saved)


def test_write_text_replaces_with_the_umasks_mode(tmp_path, mask):
    path = tmp_path / "rep.md"
    path.write_text("old")
    path.chmod(0o600)
    assert write_text(path, "new\r\nline") == path
    assert path.read_bytes() == b"new\r\nline"  # newlines as given (CSV keeps its \r\n)
    assert path.stat().st_mode & 0o777 == 0o640 == umask_mode()
    assert os.umask(mask) == mask  # reading the umask left it as it was
    assert [p.name for p in tmp_path.iterdir()] == ["rep.md"]


def test_a_failure_while_writing_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "rep.json"
    path.write_text("the earlier report")
    with pytest.raises(KeyboardInterrupt), replacing(path) as tmp:
        tmp.write_text("half a rep")
        raise KeyboardInterrupt
    assert path.read_text() == "the earlier report"
    assert [p.name for p in tmp_path.iterdir()] == ["rep.json"]


def test_missing_folders_are_created(tmp_path):
    path = tmp_path / "a" / "b" / "rep.csv"
    write_text(path, "x\n")
    assert path.read_text() == "x\n"
