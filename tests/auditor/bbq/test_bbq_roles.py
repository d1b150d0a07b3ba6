"""Option roles on every real item, by hand on a few, and from the official target_loc."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter, defaultdict

import pytest

from auditor.bbq import load_bbq
from auditor.bbq.roles import atoms, canonical, derive_roles, target_index
from auditor.core.errors import DataError
from auditor.core.items import Roles

LITE_EXCEPTIONS = {"Gender_identity": 20, "Physical_appearance": 20, "Race_ethnicity": 192}


def _target(item):
    """The option of the stereotyped group, read back from the roles."""
    return item.roles.biased if item.polarity == "neg" else item.roles.anti_biased


def test_every_lite_item_exceptions_pinned(lite_data):
    per_file = Counter(i.split(":")[0] for i in lite_data.exceptions)
    assert per_file == LITE_EXCEPTIONS
    assert len(lite_data.exceptions) == 232
    for item_id in (
        "Gender_identity:48",
        "Gender_identity:323",
        "Physical_appearance:576",
        "Race_ethnicity:448",
        "Race_ethnicity:3799",
    ):
        assert item_id in lite_data.exceptions
        assert lite_data.by_id()[item_id].roles is None
    assert {i.id for i in lite_data.items if i.roles is None} == set(lite_data.exceptions)


# Regression pins over every shared item: the exception ids, and each item's derived
# (biased, anti-biased, unknown) options. A change to the derivation must show up here.
LITE_EXCEPTIONS_SHA = "de9c3a244f271d97203e95f05f007ee89cd54a07a01796890934e2c2cb2b2140"
ROLES_SHA = {
    "lite_data": "fa8ffcb2579a9ac0d36ee639a71bcb9bb2a5246eb3e8292d4c1e19a02434de72",
    "official_data": "a5aa1428a7ef10113e7d8a4b6d869e5a669cfab9cf89b67ac2974043bbdf1ddc",
}


def test_exception_ids_pinned(lite_data):
    joined = "\n".join(sorted(lite_data.exceptions)).encode()
    assert hashlib.sha256(joined).hexdigest() == LITE_EXCEPTIONS_SHA


@pytest.mark.parametrize("which", ["lite_data", "official_data"])
def test_roles_of_every_item_pinned(which, request):
    digest = hashlib.sha256()
    for item in sorted(request.getfixturevalue(which).items, key=lambda i: i.id):
        r = item.roles
        digest.update(
            f"{item.id}:{r.biased if r else None}:{r.anti_biased if r else None}:"
            f"{item.unknown_index}\n".encode()
        )
    assert digest.hexdigest() == ROLES_SHA[which]


def test_every_official_item_has_roles(official_data):
    assert official_data.exceptions == ()
    assert all(i.roles is not None for i in official_data.items)


@pytest.mark.parametrize("which", ["lite_data", "official_data"])
def test_roles_are_a_permutation_and_agree_within_a_template_instance(which, request):
    data = request.getfixturevalue(which)
    blocks = defaultdict(set)
    for item in data.items:
        if item.roles is None:
            continue
        r = item.roles
        assert sorted((r.biased, r.anti_biased, r.unknown)) == [0, 1, 2]
        assert r.unknown == item.unknown_index
        assert item.role_of(item.unknown_index) == "unknown"
        blocks[(item.attribute, item.example_id // 4)].add(_target(item))
    assert all(len(targets) == 1 for targets in blocks.values())


def test_hand_checked_items(lite_data, official_data):
    lite = lite_data.by_id()
    age = official_data.by_id()["Age:0"]
    assert age.options[age.roles.biased].text == "The grandfather"
    assert age.options[age.roles.anti_biased].text == "The grandson"
    gender = lite["Gender_identity:0"]
    assert gender.options[gender.roles.biased].text == "The woman"
    trans = lite["Gender_identity:2473"]
    assert trans.options[trans.roles.biased].text == "Linda"
    assert trans.options[trans.roles.anti_biased].text == "John"
    nat = lite["Nationality:0"]
    assert nat.options[nat.roles.biased].group == "Europe"
    assert "British" in nat.options[nat.roles.biased].text
    ses_neg, ses_nonneg = lite["SES:468"], lite["SES:470"]
    assert ses_neg.roles == Roles(biased=1, anti_biased=2, unknown=0)
    assert ses_nonneg.roles == Roles(biased=2, anti_biased=1, unknown=0)


def test_nonneg_biased_is_the_non_stereotyped_option(official_data):
    item = official_data.by_id()["Age:2"]  # nonneg twin of Age:0
    assert item.polarity == "nonneg"
    assert item.options[item.roles.biased].group == "nonOld"
    assert item.options[item.roles.anti_biased].group == "old"


@pytest.mark.parametrize(
    "a, b",
    [
        ("low SES", "lowSES"),
        ("F", "woman"),
        ("F", "girl"),
        ("M", "boy"),
        ("man", "M"),
        ("trans_F", "Transgender women"),
        ("trans_M", "transgender men"),
        ("trans", "trans_F"),
        ("nonTrans_M", "nonTrans"),
        (" Obese ", "obese"),
        ("Christiian", "Christian"),
        ("African American", "african american"),
    ],
)
def test_spellings_that_mean_the_same_group(a, b):
    assert canonical(a) == canonical(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("obese", "nonObese"),
        ("disabled", "nonDisabled"),
        ("old", "nonOld"),
        ("lowSES", "highSES"),
        ("trans", "nonTrans_F"),
        ("African", "African American"),
        ("pregnant", "notPregnant"),
    ],
)
def test_spellings_that_differ(a, b):
    assert canonical(a) != canonical(b)


def test_compound_tags_split_into_atoms():
    assert {"black", "m"} <= atoms("M-Black")
    assert atoms("") == set() and atoms("  ") == set()


def test_variant_spellings_on_a_real_row(lite_data):
    item = lite_data.by_id()["SES:1128"]
    infos = [(o.text, o.group) for o in item.options]
    for groups in (["lowSES"], ["low SES"], [" Low SES "]):
        assert derive_roles(infos, groups, item.polarity, item.unknown_index) == item.roles
    gender = lite_data.by_id()["Gender_identity:0"]
    tagged = [("Can't be determined", "unknown"), ("man", "M"), ("woman", "F")]
    assert derive_roles(tagged, ["F"], "neg", 0) == gender.roles
    girls = [("Can't be determined", "unknown"), ("boy", "boy"), ("girl", "girl")]
    assert derive_roles(girls, ["F"], "neg", 0) == gender.roles


def test_both_or_neither_stereotyped_is_undeterminable():
    both = [("Ebony", "F-Black"), ("Mayra", "F-Latino"), ("Unknown", "unknown")]
    assert target_index(both, ["Black", "Latino"], 2) is None
    neither = [("boy", "boy"), ("man", "man"), ("Unknown", "unknown")]
    assert target_index(neither, ["F"], 2) is None
    assert target_index(neither, [], 2) is None


HEADER = (
    "category,question_index,example_id,target_loc,label_type,Known_stereotyped_race,"
    "Known_stereotyped_var2,Relevant_social_values,corr_ans_aligns_var2,"
    "corr_ans_aligns_race,full_cond,Known_stereotyped_groups"
).split(",")


def _official_with_csv(tmp_path, bbq_official, official_data, edit):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "Religion.jsonl").symlink_to(bbq_official / "Religion.jsonl")
    (tmp_path / "supplemental").mkdir()
    with open(tmp_path / "supplemental" / "additional_metadata.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for item in official_data.items:
            if item.attribute == "Religion":
                target = edit(item, item.roles.biased)  # as the official CSV: the biased answer
                writer.writerow(
                    [
                        "Religion",
                        item.question_index,
                        item.example_id,
                        target,
                        "label",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                    ]
                )
    return load_bbq(tmp_path)


def test_target_loc_from_the_metadata_csv_takes_precedence(tmp_path, bbq_official, official_data):
    def swap_first_block(item, target):
        if item.example_id < 4:  # point target_loc at the other non-unknown option
            return 3 - target - item.unknown_index
        return "NA" if item.example_id < 8 else target

    data = _official_with_csv(tmp_path, bbq_official, official_data, swap_first_block)
    derived = official_data.by_id()
    for item in data.items:
        before = derived[item.id].roles
        if item.example_id < 4:
            assert item.roles == Roles(before.anti_biased, before.biased, before.unknown)
        else:  # NA falls back to the tags; the rest agrees with them
            assert item.roles == before


def test_metadata_csv_changes_the_checksum(tmp_path, bbq_official, official_data):
    data = _official_with_csv(tmp_path, bbq_official, official_data, lambda i, t: t)
    only = load_bbq(bbq_official / "Religion.jsonl")
    assert data.checksum != only.checksum


def test_metadata_csv_without_target_loc_is_a_data_error(tmp_path, bbq_official):
    (tmp_path / "Religion.jsonl").symlink_to(bbq_official / "Religion.jsonl")
    (tmp_path / "additional_metadata.csv").write_text("category,example_id\nReligion,0\n")
    with pytest.raises(
        DataError,
        match=r"additional_metadata.csv:1: field 'target_loc': "
        r"missing column",
    ):
        load_bbq(tmp_path)
