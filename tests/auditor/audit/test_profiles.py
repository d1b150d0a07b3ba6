"""Profiles parse into validated frozen configuration; bad keys and values are named."""

from __future__ import annotations

import dataclasses

import pytest

from auditor.audit.profiles import available, build_profile, load_profile
from auditor.core.errors import InputError
from auditor.core.items import ATTRIBUTES


def test_bundled_profiles_all_load():
    names = set(available())
    assert {"demo", "ci", "mistral-7b", "llama-3.1-8b", "qwen-2.5-7b"} <= names
    for name in names:
        profile = load_profile(name)
        assert profile.name == name
        assert set(profile.data.attributes) <= set(ATTRIBUTES)


def test_paper_profiles_match_the_paper_setup():
    for name in ("mistral-7b", "llama-3.1-8b", "qwen-2.5-7b"):
        p = load_profile(name)
        assert p.align.target == ("Gender_identity",)
        assert p.align.exclude_trans is True
        assert (p.align.beta, p.align.learning_rate, p.align.epochs) == (0.1, 5e-5, 1.0)
        assert p.align.heldout_fraction == 0.2
        assert p.data.attributes == ATTRIBUTES and p.data.sample == 0


def test_a_profile_built_from_its_own_to_dict_is_the_same_profile():
    """An audit's live result carries ``profile.to_dict()`` (tuples, not TOML's lists);
    the app builds the report from it, so it must validate back (it was refused)."""
    for name in available():
        extra = ['candidate.models=["a/one", "b/two"]', "align.seeds=[0, 1]"]
        for overrides in ([], extra):
            profile = load_profile(name, overrides)
            assert build_profile(profile.to_dict()) == profile


def test_profile_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        load_profile("demo").align.beta = 1.0  # type: ignore[misc]


def test_overrides_reach_any_field():
    p = load_profile(
        "demo", ["align.beta=0.25", "model.source=/models/x", "data.attributes=['Age']"]
    )
    assert p.align.beta == 0.25
    assert p.model.source == "/models/x"
    assert p.data.attributes == ("Age",)
    speed = load_profile("demo", ["align.precompute_ref='off'"])
    assert speed.align.precompute_ref == "off"
    assert speed.align.speed_plan("cpu") == {
        "precompute_ref": False,
        "completion_logits_only": True,
    }


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"align": {"bogus": 1}}, "unknown key 'align.bogus'"),
        ({"nosection": {}}, "unknown key 'nosection'"),
        ({"align": {"beta": "high"}}, "'align.beta' must be float"),
        ({"align": {"max_steps": 1.5}}, "'align.max_steps' must be int"),
        ({"model": {"trust_remote_code": "yes"}}, "'model.trust_remote_code' must be bool"),
        ({"eval": {"mode": "vibes"}}, "'eval.mode' is 'vibes'"),
        ({"align": {"target": ["Gender"]}}, "unknown attribute 'Gender'"),
        ({"align": {"heldout_fraction": 1.5}}, "heldout_fraction"),
        ({"align": {"precompute_ref": "yes"}}, "'align.precompute_ref' is 'yes'; choose one of"),
        ({"align": {"completion_logits_only": True}}, "'align.completion_logits_only' must be str"),
        ({"align": "x"}, "'align' must be a table"),
    ],
)
def test_bad_profiles_name_the_key(raw, message):
    with pytest.raises(InputError, match="my.toml") as info:
        build_profile(raw, "my.toml")
    assert message in str(info.value)


def test_unknown_key_in_file_names_the_file(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("[gate]\nmax_drop = 1\n")
    with pytest.raises(InputError, match=r"p\.toml: unknown key 'gate\.max_drop'"):
        load_profile(str(path))


def test_invalid_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[model\n")
    with pytest.raises(InputError, match="invalid TOML"):
        load_profile(str(bad))
    with pytest.raises(InputError, match="not found"):
        load_profile(str(tmp_path / "none.toml"))
    with pytest.raises(InputError, match="unknown profile 'nope'"):
        load_profile("nope")


@pytest.mark.parametrize(
    "key, value",
    [
        ("align.batch_size", "0"),
        ("gate.alpha", "5"),
        ("stats.n_boot", "0"),
        ("eval.batch_size", "-3"),
        ("data.sample", "-1"),
        ("align.lora_dropout", "2"),
        ("align.learning_rate", "0"),
        ("gate.max_accuracy_drop", "-0.1"),
    ],
)
def test_out_of_range_values_are_refused_before_any_work(key, value):
    with pytest.raises(InputError, match=rf"with --set {key}={value}: '{key}' is .*must be in"):
        load_profile("demo", [f"{key}={value}"])


def test_accuracy_test_is_mcnemar_by_default_and_cluster_on_request():
    import json

    from auditor.audit.pipeline import audit_key

    assert load_profile("demo").stats.accuracy_test == "mcnemar"
    assert load_profile("demo", ["stats.accuracy_test=cluster"]).stats.accuracy_test == "cluster"
    with pytest.raises(
        InputError, match="'stats.accuracy_test' is 'gee'; choose one of mcnemar, cluster"
    ):
        load_profile("demo", ["stats.accuracy_test=gee"])
    # at its default the field stays out of the audit key: stored audits keep their ids
    plain = json.loads(audit_key(build_profile({}), "x"))["profile"]["stats"]
    assert "accuracy_test" not in plain
    chosen = build_profile({"stats": {"accuracy_test": "cluster"}})
    assert json.loads(audit_key(chosen, "x"))["profile"]["stats"]["accuracy_test"] == "cluster"


@pytest.mark.parametrize("nested", ["[" * 5000 + "]" * 5000, "{a=" * 5000 + "1" + "}" * 5000])
def test_a_deeply_nested_profile_is_one_line_exit_2(tmp_path, nested):
    from click.testing import CliRunner

    from auditor.cli import main

    deep = tmp_path / "deep.toml"
    deep.write_text(f"[data]\nattributes = {nested}\n")
    with pytest.raises(
        InputError,
        match=r"deep.toml: invalid TOML: arrays or tables nested "
        r"too deeply",
    ):
        load_profile(str(deep))
    with pytest.raises(InputError, match=r"--set 'data.attributes': arrays or tables nested"):
        load_profile("demo", [f"data.attributes={nested}"])
    result = CliRunner().invoke(main, ["profiles", "show", str(deep)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output and "RecursionError" not in result.output
