"""Hostile BBQ files: each is exit 2 with one line naming file and line, never a hang,
a traceback or a huge allocation; generated malformed rows are fuzzed the same way."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.bbq import load_bbq
from auditor.cli import main
from auditor.core.errors import DataError


@pytest.fixture
def row(bbq_lite, real_rows):
    return real_rows(bbq_lite / "Age.jsonl", 1)[0]


def _write(folder, text):
    folder.mkdir(exist_ok=True)
    (folder / "Age.jsonl").write_text(text + "\n", encoding="utf-8")
    return folder


def _hostile(row):
    long = dict(row, context="x" * 60_000)
    surrogate = json.dumps(dict(row, context="a")).replace(
        '"context": "a"', '"context": "a \\ud800 b"'
    )
    big = json.dumps(row).replace(
        f'"example_id": {row["example_id"]}', '"example_id": ' + "9" * 5000
    )
    huge_label = dict(row, label=10**30)
    return {
        "deep": "[" * 100_000 + "]" * 100_000,
        "big-int": big,
        "huge-label": json.dumps(huge_label),
        "surrogate": surrogate,
        "long-text": json.dumps(long),
        "long-line": " " * (1 << 20) + json.dumps(row),
    }


@pytest.mark.parametrize(
    "case", ["deep", "big-int", "huge-label", "surrogate", "long-text", "long-line"]
)
def test_hostile_rows_are_exit_2_with_file_and_line(tmp_path, row, case):
    folder = _write(tmp_path / case, _hostile(row)[case])
    result = CliRunner().invoke(main, ["data", "info", str(folder)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert f"{folder / 'Age.jsonl'}:1" in lines[0]


def test_a_fifo_is_refused_not_read(tmp_path):
    folder = tmp_path / "fifo"
    folder.mkdir()
    os.mkfifo(folder / "Age.jsonl")
    result = CliRunner().invoke(main, ["data", "info", str(folder)])  # would block if read
    assert result.exit_code == 2 and "not a regular file" in result.stderr


FIELDS = [
    "example_id",
    "question_index",
    "question_polarity",
    "context_condition",
    "category",
    "answer_info",
    "additional_metadata",
    "context",
    "question",
    "ans0",
    "ans1",
    "ans2",
    "label",
]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field=st.sampled_from(FIELDS), value=VALUES, drop=st.booleans())
def test_fuzzed_rows_load_or_fail_with_one_data_error(tmp_path_factory, row, field, value, drop):
    """Any single-field corruption of a real row either loads or is one DataError on line 1."""
    bad = dict(row)
    if drop:
        bad.pop(field)
    else:
        bad[field] = value
    folder = _write(tmp_path_factory.mktemp("fuzz"), json.dumps(bad))
    try:
        load_bbq(folder)
    except DataError as exc:
        assert exc.line == 1 and "\n" not in str(exc)
        assert exc.path == str(folder / "Age.jsonl")
