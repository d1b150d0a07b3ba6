"""The Hugging Face `datasets` path, on local datasets built from real BBQ rows."""

from __future__ import annotations

import pytest

from auditor.bbq import load_bbq
from auditor.bbq.hub import load_hf
from auditor.core.errors import DataError, InputError


@pytest.fixture(scope="module")
def rows(bbq_lite, real_rows):
    return real_rows(bbq_lite / "SES.jsonl", 12) + real_rows(bbq_lite / "Gender_identity.jsonl", 8)


def _same_items(data, rows, lite_data):
    expected = lite_data.by_id()
    assert [i.id for i in data.items] == [f"{r['category']}:{r['example_id']}" for r in rows]
    for item in data.items:
        assert item == expected[item.id]


def test_save_to_disk_folder_loads_through_load_bbq(tmp_path, rows, lite_data):
    from datasets import Dataset

    Dataset.from_list(rows).save_to_disk(str(tmp_path / "ds"))
    data = load_bbq(tmp_path / "ds")
    _same_items(data, rows, lite_data)
    assert data.source == f"hf:{tmp_path / 'ds'}"
    assert len(data.checksum) == 64


def test_dataset_dict_splits_are_all_loaded(tmp_path, rows, lite_data):
    from datasets import Dataset, DatasetDict

    DatasetDict(
        {"test": Dataset.from_list(rows[:12]), "train": Dataset.from_list(rows[12:])}
    ).save_to_disk(str(tmp_path / "dd"))
    _same_items(load_hf(str(tmp_path / "dd")), rows, lite_data)
    only = load_hf(str(tmp_path / "dd"), split="train")
    assert len(only.items) == 8
    with pytest.raises(InputError, match="no split 'dev'"):
        load_hf(str(tmp_path / "dd"), split="dev")


def test_json_builder_with_data_files(tmp_path, rows, lite_data, write_jsonl):
    path = write_jsonl(tmp_path / "bbq.jsonl", rows)
    cache = str(tmp_path / "cache")
    data = load_hf("json", data_files=str(path), split="train", cache_dir=cache)
    _same_items(data, rows, lite_data)
    again = load_hf("json", data_files=str(path), split="train", cache_dir=cache)
    assert again.checksum == data.checksum


def test_extra_columns_are_ignored_but_bad_records_are_named(tmp_path, rows):
    from datasets import Dataset

    good = [dict(r, source_file="x") for r in rows]
    Dataset.from_list(good).save_to_disk(str(tmp_path / "extra"))
    assert len(load_hf(str(tmp_path / "extra")).items) == len(rows)

    bad = [dict(r) for r in rows]
    bad[3]["label"] = 7
    Dataset.from_list(bad).save_to_disk(str(tmp_path / "bad"))
    with pytest.raises(DataError, match=r"\[all\]:4: field 'label'"):
        load_hf(str(tmp_path / "bad"))


def test_attribute_selection(tmp_path, rows):
    from datasets import Dataset

    Dataset.from_list(rows).save_to_disk(str(tmp_path / "ds"))
    assert load_hf(str(tmp_path / "ds"), attributes=["SES"]).attributes == ("SES",)


def test_unreachable_hub_id_is_one_line_input_error():
    with pytest.raises(InputError, match="cannot load Hugging Face dataset") as info:
        load_bbq("hf:no-such-owner/no-such-bbq-dataset")
    assert "\n" not in str(info.value)
