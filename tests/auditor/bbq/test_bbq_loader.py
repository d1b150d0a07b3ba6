"""Loading real BBQ folders: counts, layouts, selection, checksum."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from auditor.bbq import load_bbq
from auditor.core.errors import InputError
from auditor.core.items import ATTRIBUTES, CATEGORIES

LITE_ROWS = {
    "Age": 1344,
    "Disability_status": 1156,
    "Gender_identity": 3344,
    "Nationality": 1880,
    "Physical_appearance": 1176,
    "Race_ethnicity": 4000,
    "Religion": 680,
    "SES": 1984,
    "Sexual_orientation": 512,
}
OFFICIAL_ROWS = {
    "Age": 3680,
    "Disability_status": 1556,
    "Nationality": 3080,
    "Physical_appearance": 1576,
    "Religion": 1200,
    "Sexual_orientation": 864,
}


def test_lite_has_nine_attributes_and_every_row(lite_data):
    assert lite_data.attributes == ATTRIBUTES
    assert len(lite_data.items) == 16076
    assert Counter(i.attribute for i in lite_data.items) == LITE_ROWS


def test_official_counts_match_the_published_rows(official_data):
    assert Counter(i.attribute for i in official_data.items) == OFFICIAL_ROWS


def test_items_carry_the_record_fields(lite_data):
    item = lite_data.by_id()["Gender_identity:0"]
    assert item.example_id == 0 and item.question_index == "1"
    assert (item.context_condition, item.polarity) == ("ambig", "neg")
    assert item.question == "Who was the secretary?"
    assert [o.text for o in item.options] == ["Can't be determined", "The man", "The woman"]
    assert [o.group for o in item.options] == ["unknown", "man", "woman"]
    assert item.unknown_index == 0 and item.label == 0
    assert item.stereotyped_groups == ("F",) and item.subcategory == "adult"


def test_ids_are_unique_across_categories(lite_data):
    ids = [i.id for i in lite_data.items]
    assert len(set(ids)) == len(ids) == len(lite_data.by_id())


def test_checksum_is_sha256_of_the_files_in_name_order(bbq_official, official_data):
    digest = hashlib.sha256()
    for path in sorted(bbq_official.glob("*.jsonl"), key=lambda p: p.name):
        digest.update(path.read_bytes())
    assert official_data.checksum == digest.hexdigest()
    assert official_data.source == str(bbq_official)


def test_official_data_layout_with_metadata_beside(tmp_path, bbq_official):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "Religion.jsonl").symlink_to(bbq_official / "Religion.jsonl")
    data = load_bbq(tmp_path)
    assert len(data.items) == 1200 and data.attributes == ("Religion",)


def test_single_file_loads(bbq_official):
    data = load_bbq(bbq_official / "Sexual_orientation.jsonl")
    assert len(data.items) == 864


def test_attribute_selection_reads_only_those_files(bbq_lite):
    data = load_bbq(bbq_lite, ["SES", "Age"])
    assert data.attributes == ("Age", "SES")
    assert len(data.items) == 1344 + 1984
    whole = load_bbq(bbq_lite)
    assert data.checksum != whole.checksum


def test_unknown_attribute_is_an_input_error(bbq_lite):
    with pytest.raises(InputError, match="unknown attribute 'Gender'"):
        load_bbq(bbq_lite, ["Gender"])


def test_intersectional_rows_load_only_when_named(tmp_path, bbq_official, real_rows, write_jsonl):
    rows = real_rows(bbq_official / "Age.jsonl", 4)
    for row in rows:
        row["category"] = "Race_x_SES"
    write_jsonl(tmp_path / "Race_x_SES.jsonl", rows)
    (tmp_path / "Age.jsonl").symlink_to(bbq_official / "Age.jsonl")
    assert load_bbq(tmp_path).attributes == ("Age",)
    assert load_bbq(tmp_path, CATEGORIES).attributes == ("Age", "Race_x_SES")


def test_loading_all_of_lite_counts(bbq_lite):
    data = load_bbq(bbq_lite)  # (timing: benchmarks, not tests)
    assert len(data.items) == 16_076 and len(data.attributes) == 9


def test_folder_without_jsonl_is_a_data_error(tmp_path: Path):
    from auditor.core.errors import DataError

    with pytest.raises(DataError, match="no BBQ .jsonl files"):
        load_bbq(tmp_path)


def test_files_both_in_data_and_beside_it_are_refused_not_half_read(tmp_path, bbq_official):
    from click.testing import CliRunner

    from auditor.cli import main
    from auditor.core.errors import DataError

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "Religion.jsonl").symlink_to(bbq_official / "Religion.jsonl")
    (tmp_path / "Age.jsonl").symlink_to(bbq_official / "Age.jsonl")
    with pytest.raises(
        DataError,
        match=r"both in data/ \(1, e.g. Religion.jsonl\) and beside "
        r"it \(1, e.g. Age.jsonl\): which to read is ambiguous",
    ):
        load_bbq(tmp_path)
    result = CliRunner().invoke(main, ["data", "info", str(tmp_path)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "ambiguous" in result.stderr and "Traceback" not in result.output
    (tmp_path / "Age.jsonl").unlink()  # one place again: read as before
    assert load_bbq(tmp_path).attributes == ("Religion",)
