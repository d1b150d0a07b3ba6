"""Report files replaced atomically, with the umask's mode, and untouched on failure;
Markdown appended whole, never truncating the file."""

from __future__ import annotations

import os

import pytest

from auditor.reports.atomic import append_text, replacing, umask_mode, write_text


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


def test_append_creates_the_file_with_the_umasks_mode(tmp_path, mask):
    path = tmp_path / "new" / "summary"
    assert append_text(path, "## A\n") == path
    assert path.read_text() == "## A\n"
    assert path.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    ("before", "between"),
    [("", ""), ("text", "\n\n"), ("text\n", "\n"), ("text\n\n", ""), ("\n", "")],
)
def test_append_keeps_the_content_and_starts_a_block(tmp_path, before, between):
    path = tmp_path / "summary"
    path.write_bytes(before.encode())
    path.chmod(0o600)
    append_text(path, "## B\n")
    assert path.read_bytes() == (before + between + "## B\n").encode()
    assert path.stat().st_mode & 0o777 == 0o600  # an existing file keeps its mode


def test_concurrent_appends_never_interleave(tmp_path):
    """Eight threads append 200 KiB each to one file: every text arrives whole."""
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "summary"
    texts = [f"## {i}\n" + str(i) * 200_000 + "\n" for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda t: append_text(path, t), texts))
    blocks = path.read_text().split("\n\n")  # each text ends in one newline
    assert sorted(b.rstrip("\n") for b in blocks) == sorted(t.rstrip("\n") for t in texts)
