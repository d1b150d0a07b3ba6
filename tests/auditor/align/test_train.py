"""Alignment on real components: BBQ-lite rows, trl + peft, a tiny Llama: the settings, the
engine entry point (cancel, resume, reuse, merge) and seeding. What every registered method
must do (learn, reload, resume, tokenize as evaluation does, move SmolLM2's letters) is in
``test_methods.py``, parametrized over the registry.

The tiny model has a 512-token BPE vocabulary (see align_helpers) so a DPO step takes a
fraction of a second.
"""

from __future__ import annotations

import dataclasses
import json
import threading

import pytest
import torch

from auditor.align import trainers
from auditor.align.preferences import build_pairs
from auditor.align.settings import AlignSettings
from auditor.align.split import split_items
from auditor.align.train import align
from auditor.align.trl_args import dpo_config, lora_config
from auditor.audit.profiles import Profile
from auditor.core.errors import InputError
from auditor.core.events import Cancelled, Message, TrainStep
from auditor.evaluation.prompts import PromptBuilder
from auditor.models.loading import LoadedModel, ModelSpec, load_model
from auditor.store.db import Store


@pytest.fixture(scope="module")
def small_dir(small_llama_dir):
    return small_llama_dir


@pytest.fixture(scope="module")
def gender(lite_items):
    return [i for i in lite_items if i.attribute == "Gender_identity" and i.roles is not None]


def one_instance(items, question_index="1"):
    """The four items (ambig/disambig x neg/nonneg) of one template instance."""
    first = next(i for i in items if i.question_index == question_index)
    return [i for i in items if i.template == first.template]


def fresh(folder, tokenizer=None) -> LoadedModel:
    loaded = load_model(ModelSpec(str(folder), device="cpu"), for_training=True)
    if tokenizer is not None:
        loaded = dataclasses.replace(loaded, tokenizer=tokenizer)
    return loaded


def train(loaded, pairs, settings, out, events):
    from auditor.align.callback import EventCallback
    from auditor.align.session import build_trainer

    dataset = trainers.dataset(settings.method_info, pairs, loaded.tokenizer, settings)
    callback = EventCallback(events.append, method=settings.method)
    trainer = build_trainer(loaded, dataset, settings, str(out), [callback])
    trainer.train()
    return trainer


def last_logits(model, ids_list):
    with torch.no_grad():
        return torch.stack([model(torch.tensor([ids])).logits[0, -1] for ids in ids_list])


def letter_logprobs(model, builder, items):
    """log P(letter of the correct option) among A/B/C, per item."""
    letters = builder.letter_ids()
    logits = last_logits(model, [builder.prompt_ids(i) for i in items])[:, letters]
    logp = torch.log_softmax(logits.float(), dim=-1)
    return torch.stack([logp[k, item.label] for k, item in enumerate(items)])


# -- settings ---------------------------------------------------------------------------


def test_settings_match_profile_and_set_trl_defaults_explicitly(tmp_path):
    section = dataclasses.asdict(Profile().align)  # the profile's [align] section is it
    settings = AlignSettings.from_mapping(section)
    assert settings == Profile().align and isinstance(Profile().align, AlignSettings)
    assert settings.beta == 0.1 and settings.learning_rate == 5e-5 and settings.epochs == 1.0
    config = dpo_config(settings, str(tmp_path), "cpu", "float32")
    assert config.use_cpu and not config.bf16 and not config.fp16
    assert not config.activation_checkpointing and not config.gradient_checkpointing
    assert config.learning_rate == 5e-5 and config.beta == 0.1 and config.max_length == 512
    assert config.report_to == [] or config.report_to == "none"
    assert config.disable_tqdm and config.save_strategy == "steps" and config.logging_steps == 1
    lora = lora_config(settings)
    assert (lora.r, lora.lora_alpha, set(lora.target_modules)) == (
        16,
        32,
        set(settings.target_modules),
    )
    with pytest.raises(InputError, match="beta must be > 0; batch_size must be >= 1"):
        AlignSettings(beta=0, batch_size=0)
    with pytest.raises(InputError, match="unknown key bogus"):
        AlignSettings.from_mapping({"bogus": 1})


def test_run_key_settings_are_those_stored_runs_were_keyed_on():
    """Runs stored before the settings had one declaration must still resume and reuse."""
    keyed = AlignSettings().key_dict()
    assert keyed == {
        "rejected": "all_wrong",
        "exclude_trans": False,
        "exclude_subcategories": [],
        "exclude_templates": [],
        "heldout_fraction": 0.2,
        "train_sample": 0,
        "beta": 0.1,
        "learning_rate": 5e-5,
        "epochs": 1.0,
        "max_steps": -1,
        "batch_size": 4,
        "grad_accum": 1,
        "max_length": 512,
        "lora_r": 16,
        "lora_alpha": 32,
        "lora_dropout": 0.05,
        "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"],
        "qlora": False,
        "activation_checkpointing": False,
        "seed": 0,
    }


def test_speed_switches_resolve_per_device_and_leave_the_run_key_alone(tmp_path):
    auto = AlignSettings(epochs=2)  # the reference pass saves from the second pass on
    assert auto.speed_plan("cpu", 96) == {"precompute_ref": True, "completion_logits_only": True}
    # trl already scores only completion tokens where Triton runs
    assert auto.speed_plan("cuda:0", 96) == {
        "precompute_ref": True,
        "completion_logits_only": False,
    }
    once = dataclasses.replace(auto, epochs=1.0)  # one pass: the same cost, moved: off
    assert not once.speed_plan("cpu", 96)["precompute_ref"]
    steps = dataclasses.replace(once, max_steps=24, batch_size=4)  # 96 pairs seen once
    assert not steps.speed_plan("cpu", 96)["precompute_ref"]
    assert steps.speed_plan("cpu", 48)["precompute_ref"]  # ... or twice
    # shared prompts: the pass computes each of 48 prompts once, the steps 96 pairs' prompts
    assert steps.speed_plan("cpu", 96, prompts=48)["precompute_ref"]
    assert not steps.speed_plan("cuda:0", 96, prompts=48)["precompute_ref"]  # the hash costs more
    assert not steps.speed_plan("cpu", 96, prompts=96)["precompute_ref"]
    part = dataclasses.replace(steps, max_steps=6)  # 24 pairs seen: fewer than 48 prompts
    assert not part.speed_plan("cpu", 96, prompts=48)["precompute_ref"]
    assert dpo_config(steps, str(tmp_path), "cpu", "float32", 96, 48).precompute_ref_log_probs
    forced = AlignSettings(precompute_ref="on", completion_logits_only="off")
    assert forced.speed_plan("cpu", 96) == {"precompute_ref": True, "completion_logits_only": False}
    assert dpo_config(auto, str(tmp_path), "cpu", "float32", 96).precompute_ref_log_probs
    assert not dpo_config(once, str(tmp_path), "cpu", "float32", 96).precompute_ref_log_probs
    assert once.key_dict() == dataclasses.replace(once, completion_logits_only="off").key_dict()
    assert auto.key_dict() == dataclasses.replace(auto, precompute_ref="off").key_dict()
    with pytest.raises(InputError, match="precompute_ref must be one of auto, on, off"):
        AlignSettings(precompute_ref="yes")


class RowCounter:
    """Wraps trl's chunked log-prob kernel and records how many positions it scores."""

    def __init__(self, kernel):
        self.kernel, self.rows = kernel, []

    def apply(self, hidden, *rest):
        self.rows.append(hidden.shape[0])
        return self.kernel.apply(hidden, *rest)


def test_speed_switches_change_cost_not_training(small_dir, gender, tmp_path, monkeypatch, capfd):
    """Precomputed reference and completion-only LM head: the same losses and rewards as
    trl's way, with the LM head scoring only the completion tokens."""
    from trl.trainer import utils as trl_utils

    pairs = build_pairs(one_instance(gender), PromptBuilder(fresh(small_dir).tokenizer))
    runs, kernel = {}, trl_utils._ChunkedLogProbFunction
    for switch in ("off", "on"):
        counter = RowCounter(kernel)
        monkeypatch.setattr(trl_utils, "_ChunkedLogProbFunction", counter)
        settings = AlignSettings(
            batch_size=2,
            max_steps=4,
            learning_rate=1e-2,
            save_steps=100,
            precompute_ref=switch,
            completion_logits_only=switch,
            shared_prompt="off",
        )  # trl's own forward: what they speed up
        events: list = []
        trainer = train(fresh(small_dir), pairs, settings, tmp_path / switch, events)
        steps = [e.metrics for e in events if isinstance(e, TrainStep)]
        runs[switch] = (steps, counter.rows, trainer)
    (slow, slow_rows, slow_trainer), (fast, fast_rows, fast_trainer) = runs["off"], runs["on"]
    assert len(slow) == len(fast) == 4
    for a, b in zip(slow, fast, strict=True):
        for key in ("loss", "rewards/margins", "rewards/chosen", "logps/rejected"):
            assert b[key] == pytest.approx(a[key], abs=1e-5), key
    assert slow[-1]["loss"] < 0.6931 - 1e-3  # it trained: the agreement means something
    assert "ref_chosen_logps" in fast_trainer.train_dataset.column_names
    assert "ref_chosen_logps" not in slow_trainer.train_dataset.column_names
    batches = -(-len(pairs) // 2)  # the reference pass, batch by batch, before step 1
    assert len(fast_rows) == batches + 4  # then only the policy forward in each step
    assert len(slow_rows) == 4 * 2  # policy and reference every step
    completion = sum(len(r["chosen_ids"]) + len(r["rejected_ids"])
                     for r in fast_trainer.train_dataset)  # fmt: skip
    assert sum(fast_rows[:batches]) == completion  # it scored the completion tokens only
    assert max(fast_rows) < min(slow_rows) / 5  # the prompt is no longer projected
    assert trl_utils._use_triton(torch.device("cpu")) is False  # the switch was put back
    assert "reference log probs" not in capfd.readouterr().err  # no stray progress bar


def test_qlora_is_refused_on_cpu_before_loading(tmp_path, gender):
    with pytest.raises(InputError, match="--qlora needs a CUDA GPU") as info:
        align(ModelSpec("nowhere", device="cpu"), gender, settings=AlignSettings(qlora=True),
              out_dir=tmp_path / "out", store=None)  # fmt: skip
    assert "\n" not in str(info.value)
    assert not (tmp_path / "out").exists()


# -- the engine entry point: cancel, resume, reuse, merge -------------------------------


class CancelAt:
    """A reporter that sets a cancel token once training logs step ``step``."""

    def __init__(self, step: int):
        self.step, self.token, self.events = step, threading.Event(), []

    def __call__(self, event):
        self.events.append(event)
        if isinstance(event, TrainStep) and event.step >= self.step:
            self.token.set()


def test_align_cancel_resume_reuse_and_merge(small_dir, gender, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    spec = ModelSpec(str(small_dir), device="cpu")
    settings = AlignSettings(rejected="biased", train_sample=4, batch_size=2, max_steps=6,
                           learning_rate=1e-3, save_steps=100)  # fmt: skip
    out = tmp_path / "out"
    store = Store(tmp_path / "runs.sqlite")
    stopper = CancelAt(2)
    with pytest.raises(Cancelled, match="at step 3"):
        align(spec, gender, settings=settings, out_dir=out, store=store,
              reporter=stopper, cancel=stopper.token)  # fmt: skip
    assert (out / "checkpoints" / "checkpoint-3" / "trainer_state.json").is_file()
    assert not (out / "adapter").exists() and not (out / "align.json").exists()
    (run,) = store.runs("train")
    assert run.status == "cancelled" and run.total == 6
    heldout = set(run.record["heldout_ids"])  # stored from the start
    assert heldout == set(split_items(gender, heldout_fraction=0.2, seed=0).heldout_ids)

    events: list = []
    result = align(spec, gender, settings=settings, out_dir=out, store=store,
                   reporter=events.append, merge=True)  # fmt: skip
    assert any(isinstance(e, Message) and "resuming from checkpoint-3" in e.text for e in events)
    assert [e.step for e in events if isinstance(e, TrainStep)] == [4, 5, 6]
    assert result.metrics["global_step"] == 6 == result.metrics["max_steps"]
    log = store.train_log(result.run_id)
    assert [row["step"] for row in log] == [1, 2, 3, 4, 5, 6]
    live = {e.step: e for e in events if isinstance(e, TrainStep)}
    for row in log[3:]:  # what the reporter heard is what the store holds
        event = live[row["step"]]
        assert event.epoch > 0 and event.eta_s is not None and event.total_steps == 6
        for key in ("loss", "rewards/margins", "rewards/accuracies", "learning_rate"):
            assert row[key] == pytest.approx(event.metrics[key])
    record = store.run(result.run_id).record
    assert {"settings", "metrics", "versions", "heldout_ids", "train_ids"} <= set(record)
    assert record["settings"]["beta"] == settings.beta
    assert result.run_id == run.id and store.run(result.run_id).status == "done"
    assert set(result.heldout_ids) == heldout and len(result.train_ids) == 4
    by_id = {i.id: i for i in gender}
    train_templates = {by_id[i].template for i in result.train_ids}
    assert not train_templates & {by_id[i].template for i in result.heldout_ids}
    record = json.loads((out / "align.json").read_text())
    assert record["heldout_ids"] == list(result.heldout_ids) and record["n_pairs"] == 4
    assert not list((out / "checkpoints").glob("checkpoint-*"))

    # merged folder = base + adapter
    ids = [PromptBuilder(fresh(small_dir).tokenizer).prompt_ids(by_id[result.train_ids[0]])]
    base = AutoModelForCausalLM.from_pretrained(small_dir).eval()
    with_adapter = last_logits(PeftModel.from_pretrained(base, result.adapter_dir).eval(), ids)
    merged = last_logits(AutoModelForCausalLM.from_pretrained(result.merged_dir).eval(), ids)
    assert torch.allclose(merged, with_adapter, atol=1e-5)

    # the same run again: nothing trains
    again: list = []
    same = align(spec, gender, settings=settings, out_dir=out, store=store, reporter=again.append)
    assert same.run_id == result.run_id and same.heldout_ids == result.heldout_ids
    assert not any(isinstance(e, TrainStep) for e in again)
    assert same.reused and not result.reused

    # the same run into another folder: its adapter copied, nothing trains
    copied: list = []
    other = align(spec, gender, settings=settings, out_dir=tmp_path / "other", store=store,
                  reporter=copied.append)  # fmt: skip
    assert (
        other.reused
        and other.run_id == result.run_id
        and not any(isinstance(e, TrainStep) for e in copied)
    )
    assert any(isinstance(e, Message) and "copied its adapter" in e.text for e in copied)
    for file in result.adapter_dir.iterdir():
        assert (other.adapter_dir / file.name).read_bytes() == file.read_bytes()

    # another run into the same folder is refused
    with pytest.raises(InputError, match="holds a different alignment run"):
        align(spec, gender, settings=dataclasses.replace(settings, beta=0.2), out_dir=out,
              store=store)  # fmt: skip
    store.close()


def test_a_non_finite_loss_stops_training_with_a_clear_error():
    from types import SimpleNamespace

    from auditor.align.callback import EventCallback
    from auditor.core.errors import TrainingDiverged

    logged = []
    callback = EventCallback(log_train=lambda step, m: logged.append(step), tokens_before=100.0)
    state = SimpleNamespace(global_step=3, max_steps=10, epoch=0.1)
    callback.on_log(None, state, None, logs={"loss": 0.69, "num_tokens": 40.0})
    assert callback.last["num_tokens"] == 140.0  # continues the count of the resumed run
    with pytest.raises(TrainingDiverged, match="step 3: loss is nan"):
        callback.on_log(None, state, None, logs={"loss": float("nan")})
    with pytest.raises(TrainingDiverged, match="grad_norm is inf"):
        callback.on_log(None, state, None, logs={"loss": 0.5, "grad_norm": float("inf")})
    assert logged == [3]


def test_train_seed_keys_only_when_it_changes_training(tmp_path):
    plain = AlignSettings(seed=3)
    assert dataclasses.replace(plain, train_seed=3).key_dict() == plain.key_dict()
    assert "seeds" not in AlignSettings(seeds=(0, 1)).key_dict()  # the audit's, not a run's
    other = dataclasses.replace(plain, train_seed=7)
    assert other.key_dict() != plain.key_dict() and other.key_dict()["seed"] == 3
    config = dpo_config(other, str(tmp_path), "cpu", "float32")
    assert (config.seed, config.data_seed) == (7, 7)
    assert dpo_config(plain, str(tmp_path), "cpu", "float32").seed == 3
    with pytest.raises(InputError, match="seeds must be distinct integers >= 0"):
        AlignSettings(seeds=(1, 1))
