"""Every number is checked once at the edge: NaN, ±inf, empty lists and empty paths are
refused before any work starts, in profiles, --set overrides, flags and AlignSettings."""

from __future__ import annotations

import dataclasses
import math

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from auditor.align.settings import AlignSettings
from auditor.audit.profiles import Profile, load_profile
from auditor.cli import main
from auditor.core.errors import InputError

FLOAT_FIELDS = [
    f"{section.name}.{f.name}"
    for section in dataclasses.fields(Profile)
    if section.name in ("model", "data", "eval", "align", "stats", "gate")
    for f in dataclasses.fields(getattr(Profile(), section.name))
    if isinstance(getattr(getattr(Profile(), section.name), f.name), float)
]


def test_every_float_field_is_listed():
    assert {
        "align.beta",
        "align.learning_rate",
        "align.lora_dropout",
        "align.epochs",
        "align.heldout_fraction",
        "stats.alpha",
        "gate.alpha",
        "gate.max_accuracy_drop",
        "gate.max_bias_increase",
    } <= set(FLOAT_FIELDS)


@pytest.mark.parametrize("key", FLOAT_FIELDS)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_profile_values_are_refused(key, value):
    with pytest.raises(InputError, match="finite number"):
        load_profile("demo", [f"{key}={value}"])


@pytest.mark.parametrize(
    "override",
    [
        "align.target=[]",
        "data.attributes=[]",
        "align.target_modules=[]",
        'model.source=""',
        'model.source="  "',
        'align.target_modules=["q_proj", ""]',
    ],
)
def test_empty_lists_and_strings_are_refused(override):
    with pytest.raises(InputError, match="empty"):
        load_profile("demo", [override])


@given(
    st.sampled_from(["beta", "learning_rate", "epochs", "lora_dropout", "heldout_fraction"]),
    st.sampled_from([math.nan, math.inf, -math.inf]),
)
def test_dpo_settings_refuse_non_finite(name, value):
    with pytest.raises(InputError, match="finite"):
        AlignSettings(**{name: value})


@pytest.mark.parametrize("flag", ["--beta", "--lr", "--epochs", "--lora-dropout", "--heldout"])
def test_align_flags_refuse_nan(tmp_path, flag):
    result = CliRunner().invoke(
        main, ["align", "--model", "x", "--out", str(tmp_path / "o"), flag, "nan"]
    )
    assert result.exit_code == 2 and "not a finite number" in result.output


def test_audit_with_nan_beta_fails_before_any_work(tmp_path):
    store = tmp_path / "s.sqlite"
    result = CliRunner().invoke(
        main, ["audit", "--profile", "demo", "--set", "align.beta=nan", "--store", str(store)]
    )
    assert result.exit_code == 2 and "align.beta" in result.stderr
    assert not store.exists()


@given(st.text(max_size=12))
def test_fuzzed_gate_flag_values_never_crash(value):
    result = CliRunner().invoke(
        main, ["gate", "a", "b", "--store", "/nonexistent/s.sqlite", "--max-accuracy-drop", value]
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
