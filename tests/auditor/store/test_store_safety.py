"""Reading commands never write; foreign or damaged files are refused, never converted."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.core.errors import InputError
from auditor.store.db import Store


def _invoke(*args):
    result = CliRunner().invoke(main, list(map(str, args)))
    assert "Traceback" not in result.output
    return result


def test_a_foreign_sqlite_file_is_refused_and_left_unchanged(tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (x TEXT)")
    before = other.read_bytes()
    (tmp_path / "bbq").mkdir()
    (tmp_path / "bbq" / "Age.jsonl").write_text("{}\n")
    for command in (["runs"], ["align", "--model", "nope", "--out", tmp_path / "o"]):
        result = _invoke(*command, "--store", other)
        assert result.exit_code == 2
    assert "not a spillover store" in _invoke("runs", "--store", other).stderr
    assert other.read_bytes() == before
    with pytest.raises(InputError, match="not a spillover store"):
        Store(other)


def test_an_empty_file_is_not_a_store_for_reading(tmp_path):
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    result = _invoke("runs", "--store", empty)
    assert result.exit_code == 2 and "not a spillover store" in result.stderr
    assert empty.stat().st_size == 0


def test_an_empty_store_path_is_refused(tmp_path):
    for command in (["runs"], ["eval", "--model", "smollm2-135m", "--bbq", tmp_path]):
        result = _invoke(*command, "--store", "")
        assert result.exit_code == 2 and "empty path" in result.stderr


def test_reading_opens_read_only_and_works_in_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "runs.sqlite"
    with Store(path) as store:
        store.create_or_get_run("eval", "k", model="m", total=0)
    before = path.read_bytes()
    os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)
    try:
        with Store(path, readonly=True) as store:
            assert [r.model for r in store.runs()] == ["m"]
            with pytest.raises(sqlite3.OperationalError):
                store.create_or_get_run("eval", "k2")
        assert _invoke("runs", "--store", path).exit_code == 0
    finally:
        os.chmod(folder, stat.S_IRWXU)
    assert path.read_bytes() == before  # SQLite may add its empty -wal/-shm side files
    assert all(
        p.name in ("runs.sqlite", "runs.sqlite-shm", "runs.sqlite-wal") for p in folder.iterdir()
    )
    assert (
        not (folder / "runs.sqlite-wal").exists() or not (folder / "runs.sqlite-wal").stat().st_size
    )


def test_a_damaged_store_is_exit_2(tmp_path):
    path = tmp_path / "runs.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE train_logs")
    result = _invoke("runs", "--store", path)
    assert result.exit_code == 2 and "table 'train_logs' is missing" in result.stderr


def test_a_read_only_store_file_is_exit_2_for_writers(tmp_path, bbq_lite, monkeypatch):
    path = tmp_path / "runs.sqlite"
    Store(path).close()
    real_access = os.access
    # the suite may run as root, who can write any file: say this one is not writable
    monkeypatch.setattr(
        os,
        "access",
        lambda p, mode: False if str(p) == str(path) and mode == os.W_OK else real_access(p, mode),
    )
    result = _invoke("eval", "--model", "smollm2-135m", "--bbq", bbq_lite, "--store", path)
    assert result.exit_code == 2 and "read-only file" in result.stderr


def test_a_failing_writer_leaves_no_new_store(tmp_path, bbq_lite):
    path = tmp_path / "new.sqlite"
    result = _invoke("eval", "--model", tmp_path / "missing", "--bbq", bbq_lite, "--store", path)
    assert result.exit_code == 2
    result = _invoke(
        "eval",
        "--model",
        "smollm2-135m",
        "--device",
        "tpu",
        "--bbq",
        bbq_lite,
        "--sample",
        36,
        "--store",
        path,
    )
    assert result.exit_code == 2
    assert not path.exists() and not list(tmp_path.glob("new.sqlite*"))


def test_output_naming_a_folder_is_refused_before_work(tmp_path, bbq_lite):
    result = _invoke("compare", "a", "b", "--store", tmp_path / "none.sqlite", "--output", tmp_path)
    assert result.exit_code == 2 and "is a folder" in result.stderr
