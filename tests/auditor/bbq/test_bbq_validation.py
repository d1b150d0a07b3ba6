"""Each kind of bad BBQ file gives one `DataError` naming file, line and field."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditor.bbq import load_bbq
from auditor.core.errors import DataError


@pytest.fixture
def rows(bbq_lite, real_rows):
    return real_rows(bbq_lite / "Age.jsonl", 4)


def _bad(tmp_path, write_jsonl, rows, line, edit):
    edit(rows[line - 1])
    path = write_jsonl(tmp_path / "Age.jsonl", rows)
    with pytest.raises(DataError) as info:
        load_bbq(tmp_path)
    err = info.value
    assert err.path == str(path)
    assert "\n" not in str(err)
    return err


def test_invalid_json(tmp_path, rows):
    text = "".join(json.dumps(r) + "\n" for r in rows[:2]) + '{"example_id": 2,\n'
    (tmp_path / "Age.jsonl").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=r"Age.jsonl:3: invalid JSON") as info:
        load_bbq(tmp_path)
    assert info.value.line == 3


def test_not_an_object(tmp_path, write_jsonl, rows):
    rows[1] = [1, 2, 3]
    write_jsonl(tmp_path / "Age.jsonl", rows)
    with pytest.raises(DataError, match=r":2: expected a JSON object, got array"):
        load_bbq(tmp_path)


def test_missing_field(tmp_path, write_jsonl, rows):
    err = _bad(tmp_path, write_jsonl, rows, 2, lambda r: r.pop("question"))
    assert (err.line, err.field, err.problem) == (2, "question", "missing field")


def test_unexpected_field(tmp_path, write_jsonl, rows):
    err = _bad(tmp_path, write_jsonl, rows, 3, lambda r: r.update(answer="A"))
    assert (err.line, err.field) == (3, "answer")
    assert "unexpected field" in err.problem


def test_wrong_type(tmp_path, write_jsonl, rows):
    err = _bad(tmp_path, write_jsonl, rows, 1, lambda r: r.update(label="2"))
    assert (err.line, err.field, err.problem) == (1, "label", "expected integer, got string")
    assert str(err).endswith("Age.jsonl:1: field 'label': expected integer, got string")


def test_boolean_is_not_an_integer(tmp_path, write_jsonl, rows):
    err = _bad(tmp_path, write_jsonl, rows, 1, lambda r: r.update(example_id=True))
    assert err.field == "example_id"


def test_label_out_of_range(tmp_path, write_jsonl, rows):
    err = _bad(tmp_path, write_jsonl, rows, 4, lambda r: r.update(label=3))
    assert (err.line, err.field) == (4, "label") and "out of range" in err.problem


def test_label_must_match_the_context(tmp_path, write_jsonl, rows):
    def point_away_from_unknown(r):
        unknown = next(i for i in range(3) if r["answer_info"][f"ans{i}"][1] == "unknown")
        r["context_condition"] = "ambig"
        r["label"] = (unknown + 1) % 3

    err = _bad(tmp_path, write_jsonl, rows, 3, point_away_from_unknown)
    assert (err.line, err.field) == (3, "label") and "must be the unknown option" in err.problem


def test_two_unknown_options(tmp_path, write_jsonl, rows):
    def edit(r):
        r["answer_info"]["ans0"][1] = "unknown"
        r["answer_info"]["ans1"][1] = "unknown"

    err = _bad(tmp_path, write_jsonl, rows, 2, edit)
    assert err.field == "answer_info" and "exactly one" in err.problem


def test_no_unknown_option(tmp_path, write_jsonl, rows):
    def edit(r):
        for pair in r["answer_info"].values():
            if pair[1] == "unknown":
                pair[1] = "old"

    err = _bad(tmp_path, write_jsonl, rows, 2, edit)
    assert "found 0" in err.problem


def test_malformed_answer_info(tmp_path, write_jsonl, rows):
    err = _bad(tmp_path, write_jsonl, rows, 1, lambda r: r["answer_info"].update(ans1="grandson"))
    assert err.field == "answer_info.ans1"


def test_bad_polarity_value(tmp_path, write_jsonl, rows):
    err = _bad(tmp_path, write_jsonl, rows, 1, lambda r: r.update(question_polarity="pos"))
    assert err.field == "question_polarity"


def test_duplicate_ids(tmp_path, write_jsonl, rows):
    rows[3]["example_id"] = rows[0]["example_id"]
    path = write_jsonl(tmp_path / "Age.jsonl", rows)
    with pytest.raises(DataError, match=r"duplicate id Age:0 \(first at .*Age.jsonl:1\)") as info:
        load_bbq(tmp_path)
    assert (info.value.path, info.value.line, info.value.field) == (str(path), 4, "example_id")


def test_duplicate_ids_across_files(tmp_path, write_jsonl, rows):
    write_jsonl(tmp_path / "Age.jsonl", rows)
    write_jsonl(tmp_path / "Age_copy.jsonl", rows[:1])
    with pytest.raises(DataError, match="Age_copy.jsonl:1: field 'example_id': duplicate"):
        load_bbq(tmp_path)


def test_empty_file(tmp_path, write_jsonl, rows):
    write_jsonl(tmp_path / "Age.jsonl", rows)
    (tmp_path / "Religion.jsonl").write_text("\n\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"Religion.jsonl: empty file"):
        load_bbq(tmp_path)


def test_unknown_category(tmp_path, write_jsonl, rows):
    err = _bad(tmp_path, write_jsonl, rows, 2, lambda r: r.update(category="Gender"))
    assert err.field == "category" and "unknown category 'Gender'" in err.problem


def test_missing_directory(tmp_path):
    with pytest.raises(DataError, match="no such directory"):
        load_bbq(tmp_path / "nowhere")


def test_not_utf8(tmp_path, rows):
    text = "".join(json.dumps(r) + "\n" for r in rows).encode()
    (tmp_path / "Age.jsonl").write_bytes(text + b'{"context": "caf\xe9"}\n')
    with pytest.raises(DataError, match=r"Age.jsonl:5: not UTF-8"):
        load_bbq(tmp_path)


def test_unreadable_file(tmp_path, write_jsonl, rows, monkeypatch):
    path = write_jsonl(tmp_path / "Age.jsonl", rows)
    if os.geteuid() == 0:  # root reads any file: make the read fail as it would for a user
        real = Path.read_bytes

        def denied(self):
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", denied)
    else:
        path.chmod(0)
    try:
        with pytest.raises(DataError, match="cannot read file: Permission denied"):
            load_bbq(tmp_path)
    finally:
        path.chmod(0o644)


def test_unreadable_entry(tmp_path, write_jsonl, rows):
    write_jsonl(tmp_path / "Age.jsonl", rows)
    (tmp_path / "Broken.jsonl").mkdir()
    with pytest.raises(DataError, match=r"Broken.jsonl: not a regular file"):
        load_bbq(tmp_path)
