"""Alignment methods' settings: run and audit keys, one-line errors, and the trl config each maps onto."""

from __future__ import annotations

import dataclasses
import json

import pytest

from auditor.align import methods, trl_args
from auditor.align.settings import AlignSettings
from auditor.align.train import planned_steps
from auditor.audit.profiles import build_profile
from auditor.core.errors import InputError

DPO_KEY_BEFORE_METHODS = {
    "rejected": "all_wrong", "exclude_trans": False, "exclude_subcategories": [],
    "exclude_templates": [], "heldout_fraction": 0.2, "train_sample": 0, "beta": 0.1, "learning_rate": 5e-5, "epochs": 1.0,
    "max_steps": -1, "batch_size": 4, "grad_accum": 1, "max_length": 512, "lora_r": 16,
    "lora_alpha": 32, "lora_dropout": 0.05,
    "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"], "qlora": False,
    "activation_checkpointing": False, "seed": 0,
}  # fmt: skip


def test_dpo_run_keys_are_unchanged_and_each_key_holds_its_methods_parameters():
    assert AlignSettings().key_dict() == DPO_KEY_BEFORE_METHODS
    # another method's parameters do not touch a dpo run's key
    assert (
        AlignSettings(kto_desirable_weight=2, simpo_gamma=0.3).key_dict() == DPO_KEY_BEFORE_METHODS
    )
    for name, method in methods.METHODS.items():
        if name == "dpo":
            continue
        key = AlignSettings(method=name, batch_size=4).key_dict()
        assert key["method"] == name
        assert set(key) - set(DPO_KEY_BEFORE_METHODS) == {"method", *method.params} - {"beta"}
        assert ("beta" in key) == ("beta" in method.params), name
        for param in method.params:  # each one the method reads moves its key
            other = dataclasses.replace(
                AlignSettings(method=name, batch_size=4),
                **{param: getattr(AlignSettings(), param) / 2 + 0.01},
            )
            assert other.key_dict() != key, (name, param)
    keys = {
        json.dumps(AlignSettings(method=n, batch_size=4).key_dict(), sort_keys=True)
        for n in methods.METHODS
    }
    assert len(keys) == len(methods.METHODS)


def test_audit_keys_of_dpo_profiles_leave_the_new_settings_out():
    from auditor.audit.pipeline import audit_key

    dpo = json.loads(audit_key(build_profile({}), "sum"))["profile"]["align"]
    assert not {"method", *methods.METHOD_PARAMS - {"beta"}} & set(dpo)
    kto = json.loads(audit_key(build_profile({"align": {"method": "kto"}}), "sum"))
    assert {"method", "beta", "kto_desirable_weight"} <= set(kto["profile"]["align"])
    assert "simpo_gamma" not in kto["profile"]["align"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"method": "ppo"}, "method must be one of dpo, ipo, robust, hinge, kto, orpo, simpo"),
        ({"method": "robust", "label_smoothing": 0.5}, "label_smoothing must be in [0, 0.5)"),
        ({"method": "kto", "batch_size": 1}, "batch_size must be >= 2 for kto"),
        ({"orpo_lambda": 0}, "orpo_lambda must be > 0"),
        ({"simpo_gamma": -1}, "simpo_gamma must be >= 0"),
        ({"method": "orpo", "precompute_ref": "on"}, "precompute_ref applies to the DPO"),
    ],
)
def test_bad_method_settings_are_one_line_errors(values, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace(")", r"\)")) as info:
        AlignSettings(**values)
    assert "\n" not in str(info.value)


def test_profile_validates_the_method_and_its_ranges():
    with pytest.raises(InputError, match="'align.method' is 'ppo'; choose one of dpo, ipo"):
        build_profile({"align": {"method": "ppo"}})
    with pytest.raises(
        InputError, match=r"'align.label_smoothing' is 0.5; it must be in \[0, 0.5\)"
    ):
        build_profile({"align": {"label_smoothing": 0.5}})
    with pytest.raises(InputError, match=r"'align.simpo_beta' is 0.0; it must be in \(0, ∞\)"):
        build_profile({"align": {"simpo_beta": 0.0}})


def test_each_method_maps_onto_its_trl_config(tmp_path):
    from trl import DPOConfig, KTOConfig

    with trl_args._experimental():
        from trl.experimental.cpo import CPOConfig
        from trl.experimental.orpo import ORPOConfig

    def config(name, **extra):
        from auditor.align.trainers import trl_config

        return trl_config(AlignSettings(method=name, **extra), str(tmp_path), "cpu", "float32", 8)

    for name in ("dpo", "ipo", "robust", "hinge"):
        args = config(name)
        assert type(args) is DPOConfig and args.beta == 0.1
        assert args.loss_type == [methods.get(name).loss_type]
    assert config("dpo").loss_type == ["sigmoid"] and config("dpo").label_smoothing == 0.0
    assert config("robust", label_smoothing=0.2).label_smoothing == 0.2
    kto = config("kto", kto_desirable_weight=1.5, kto_undesirable_weight=0.5, beta=0.2)
    assert type(kto) is KTOConfig and kto.loss_type == "kto" and kto.beta == 0.2
    assert (kto.desirable_weight, kto.undesirable_weight) == (1.5, 0.5)
    assert kto.train_sampling_strategy == "sequential" and not kto.precompute_ref_log_probs
    orpo = config("orpo", orpo_lambda=0.25)
    assert type(orpo) is ORPOConfig and orpo.beta == 0.25
    simpo = config("simpo", simpo_beta=2.5, simpo_gamma=0.5)
    assert type(simpo) is CPOConfig and simpo.loss_type == "simpo"
    assert (simpo.beta, simpo.simpo_gamma, simpo.cpo_alpha, simpo.label_smoothing) == (
        2.5,
        0.5,
        0.0,
        0.0,
    )
    for args in (kto, orpo, simpo):  # the shared arguments: trl's risky defaults set
        assert args.use_cpu and not args.bf16 and not args.gradient_checkpointing
        assert args.learning_rate == 5e-5 and args.max_length == 512 and args.logging_steps == 1
        assert args.save_strategy == "steps" and not args.save_only_model
    assert AlignSettings(method="kto").speed_plan("cpu", 8) == {
        "precompute_ref": False,
        "completion_logits_only": False,
    }
    assert planned_steps(10, AlignSettings(method="kto", batch_size=4)) == 5  # 20 rows
    assert planned_steps(10, AlignSettings(method="orpo", batch_size=4)) == 3


# -- what each trainer sees -------------------------------------------------------------
