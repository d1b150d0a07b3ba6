"""Alignment methods on real components, each test run over every registered method
(``auditor.align.methods.METHODS``): it tokenizes as evaluation does, trains the tiny BPE
Llama through its own trl trainer, its adapter reloads exactly, an interrupted run resumes
to the same training log as an uninterrupted one, the same seed gives the same adapter,
over-long prompts are dropped and said, and a short SmolLM2 run moves the letters.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from auditor.align import methods, trainers
from auditor.align.preferences import build_pairs
from auditor.align.settings import AlignSettings
from auditor.align.train import align
from auditor.core.errors import InputError
from auditor.core.events import Cancelled, Message, TrainStep
from auditor.evaluation.prompts import PromptBuilder
from auditor.models.loading import ModelSpec
from auditor.store.db import Store

from .test_train import CancelAt, fresh, last_logits, letter_logprobs, one_instance, train

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)

ALL = tuple(methods.METHODS)
"""Every registered method: the training tests below run on each."""

# what each method's trl log holds beyond loss / grad_norm / learning_rate
OWN_METRICS = {
    "dpo": {"rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins"},
    "ipo": {"rewards/accuracies", "rewards/margins", "logps/chosen"},
    "robust": {"rewards/accuracies", "rewards/margins", "logps/chosen"},
    "hinge": {"rewards/accuracies", "rewards/margins", "logps/chosen"},
    "kto": {"kl", "rewards/chosen", "rewards/rejected", "rewards/margins", "logps/rejected"},
    "orpo": {"nll_loss", "log_odds_ratio", "log_odds_chosen", "rewards/margins"},
    "simpo": {"nll_loss", "rewards/accuracies", "rewards/margins", "logps/chosen"},
}


# each DPO-trainer loss at zero margin (a fresh LoRA equals the reference), from its formula
# with beta 0.1: sigmoid -log(sigmoid(0)); robust the same whatever the label smoothing;
# hinge relu(1 - 0); ipo (0 - 1/(2 beta))^2
FRESH_LOSS = {"dpo": math.log(2), "robust": math.log(2), "hinge": 1.0, "ipo": (1 / 0.2) ** 2}


@pytest.fixture(scope="module")
def small_dir(small_llama_dir):
    return small_llama_dir


@pytest.fixture(scope="module")
def gender(lite_items):
    return [i for i in lite_items if i.attribute == "Gender_identity" and i.roles is not None]


def settings_for(method: str, **extra) -> AlignSettings:
    """A short run of ``method``; KTO gets two rows a pair, so twice the batch."""
    values = dict(
        method=method,
        batch_size=8 if method == "kto" else 4,
        max_steps=8,
        learning_rate=1e-2,
        save_steps=100,
    )
    return AlignSettings(**{**values, **extra})


# -- settings and run keys --------------------------------------------------------------


# AlignSettings().key_dict() before methods existed: stored DPO runs keep their keys
@pytest.mark.parametrize("add_bos", [False, True])
@pytest.mark.parametrize("name", ALL)
def test_trl_tokenizes_our_prompts_as_evaluation_does(small_dir, gender, tmp_path, name, add_bos):
    """No new chat template, no second BOS: trl's rows hold the prompt ids evaluation
    scores, and the answers' ids with one EOS."""
    from transformers import AutoTokenizer

    from auditor.align.session import build_trainer

    plain = AutoTokenizer.from_pretrained(small_dir)
    tokenizer = AutoTokenizer.from_pretrained(small_dir, add_bos_token=add_bos)
    assert (tokenizer("x")["input_ids"][0] == tokenizer.bos_token_id) == add_bos
    items = one_instance(gender)
    pairs = build_pairs(items, PromptBuilder(tokenizer))
    settings = settings_for(name)
    loaded = fresh(small_dir, tokenizer)
    dataset = trainers.dataset(settings.method_info, pairs, tokenizer, settings)
    trainer = build_trainer(loaded, dataset, settings, str(tmp_path))
    expected = PromptBuilder(plain)  # what evaluation scores: the template's own BOS, once
    by_id = {i.id: i for i in items}
    prompt_ids = {tuple(expected.prompt_ids(by_id[p.item_id])) for p in pairs}
    answers = {tuple(plain(text, add_special_tokens=False)["input_ids"] + [plain.eos_token_id])
               for p in pairs for text in (p.chosen, p.rejected)}  # fmt: skip
    rows = list(trainer.train_dataset)
    trainer_name = settings.method_info.trainer  # each trl trainer has its own row format
    if trainer_name == "dpo":
        assert len(rows) == len(pairs)
        for pair, row in zip(pairs, rows, strict=True):
            assert row["prompt_ids"] == expected.prompt_ids(by_id[pair.item_id])
            answer = plain(pair.chosen, add_special_tokens=False)["input_ids"]
            assert row["chosen_ids"] == answer + [plain.eos_token_id]
            assert tuple(row["rejected_ids"]) in answers
    elif trainer_name == "kto":
        assert len(rows) == 2 * len(pairs) and sum(r["label"] for r in rows) == len(pairs)
        assert {tuple(r["prompt_ids"]) for r in rows} == prompt_ids
        assert {tuple(r["completion_ids"]) for r in rows} == answers
        first = [r["label"] for r in rows[:4]]
        assert True in first and False in first  # shuffled: a batch mixes both labels
    else:
        assert trainer_name in ("orpo", "cpo"), trainer_name  # a new trainer: add its format
        assert len(rows) == len(pairs)
        assert {tuple(r["prompt_input_ids"]) for r in rows} == prompt_ids
        for r in rows:
            n = len(r["prompt_input_ids"])
            assert r["chosen_input_ids"][:n] == r["prompt_input_ids"]
            assert tuple(r["chosen_input_ids"][n:]) in answers
            assert r["chosen_labels"][:n] == [-100] * n


# -- learning, saving, reloading --------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_each_method_learns_and_its_adapter_reloads_to_identical_logits(
    small_dir, gender, tmp_path, name
):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    loaded = fresh(small_dir)
    builder = PromptBuilder(loaded.tokenizer)
    items = one_instance(gender)
    pairs = build_pairs(items, builder, rejected="biased")
    events: list = []
    trainer = train(loaded, pairs, settings_for(name), tmp_path / "ckpt", events)

    steps = [e for e in events if isinstance(e, TrainStep)]
    assert [e.step for e in steps] == list(range(1, 9)) and steps[0].total_steps == 8
    assert {e.method for e in steps} == {name}
    assert OWN_METRICS[name] | {"loss", "grad_norm", "learning_rate"} <= set(steps[-1].metrics)
    losses = [e.metrics["loss"] for e in steps]
    margins = [e.metrics["rewards/margins"] for e in steps]
    print(name, "loss", [round(x, 4) for x in losses], "margin", [round(x, 4) for x in margins])
    assert losses[-1] < losses[0] - 0.01 * abs(losses[0]), losses  # same batch: a real descent
    assert margins[-1] > margins[0], margins
    if name in FRESH_LOSS:
        assert losses[0] == pytest.approx(FRESH_LOSS[name], rel=1e-4), losses
    if name == "dpo":  # the sigmoid loss's known start: a fresh LoRA equals the reference
        assert losses[0] == pytest.approx(0.6931, abs=1e-3)
        assert losses[-1] < losses[0] - 0.05, losses
        assert all(b > a for a, b in zip(margins, margins[1:], strict=False)), margins
        assert margins[-1] > 0.1

    prompts = [builder.prompt_ids(i) for i in items]
    model = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False).eval()
    trained = last_logits(model, prompts)
    trainer.save_model(str(tmp_path / "adapter"))
    base = AutoModelForCausalLM.from_pretrained(small_dir).eval()
    untouched = last_logits(base, prompts)
    reloaded = last_logits(PeftModel.from_pretrained(base, tmp_path / "adapter").eval(), prompts)
    assert torch.equal(reloaded, trained)
    assert not torch.allclose(untouched, trained, atol=1e-3)


# -- the engine entry point: cancel, resume, reuse --------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_each_method_resumes_to_the_uninterrupted_run(small_dir, gender, tmp_path, name):
    """Cancelled at step 3 and rerun, a run logs what the same run without a stop logs, and
    publishes the same adapter; the store keeps the method in the run's settings."""
    from safetensors.torch import load_file

    spec = ModelSpec(str(small_dir), device="cpu")
    settings = AlignSettings(method=name, rejected="biased", train_sample=8, batch_size=2,
                           max_steps=5, learning_rate=1e-3, save_steps=100)  # fmt: skip
    store = Store(tmp_path / "runs.sqlite")
    stopper = CancelAt(2)
    with pytest.raises(Cancelled, match="at step 3"):
        align(spec, gender, settings=settings, out_dir=tmp_path / "a", store=store,
              reporter=stopper, cancel=stopper.token)  # fmt: skip
    events: list = []
    resumed = align(spec, gender, settings=settings, out_dir=tmp_path / "a", store=store,
                    reporter=events.append)  # fmt: skip
    assert any(isinstance(e, Message) and "resuming from checkpoint-3" in e.text for e in events)
    assert [e.step for e in events if isinstance(e, TrainStep)] == [4, 5]
    with Store(tmp_path / "straight.sqlite") as other:
        straight = align(spec, gender, settings=settings, out_dir=tmp_path / "b", store=other)
        straight_log = other.train_log(straight.run_id)
    log = store.train_log(resumed.run_id)
    assert [row["step"] for row in log] == [1, 2, 3, 4, 5]
    for a, b in zip(log, straight_log, strict=True):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-5, abs=1e-6), (a, b)
    weights = [load_file(str(r.adapter_dir / "adapter_model.safetensors"))
               for r in (resumed, straight)]  # fmt: skip
    assert all(torch.allclose(weights[0][k], weights[1][k], atol=1e-6) for k in weights[0])
    record = store.run(resumed.run_id).record
    assert record["settings"]["method"] == name and record["metrics"]["global_step"] == 5
    assert resumed.metrics["pairs_used"] == 8
    again = align(spec, gender, settings=settings, out_dir=tmp_path / "a", store=store)
    assert again.reused and again.run_id == resumed.run_id
    with pytest.raises(InputError, match="holds a different alignment run"):
        other = "ipo" if name == "dpo" else "dpo"
        align(spec, gender, settings=dataclasses.replace(settings, method=other),
              out_dir=tmp_path / "a", store=store)  # fmt: skip
    store.close()


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_adapter(small_dir, gender, tmp_path, name):
    """Training is seeded, the fresh LoRA included: two runs of a method with the same
    settings give the same LoRA weights."""
    from safetensors.torch import load_file

    settings = AlignSettings(method=name, rejected="biased", train_sample=4, batch_size=2,
                           max_steps=2, learning_rate=1e-3, save_steps=100)  # fmt: skip
    spec = ModelSpec(str(small_dir), device="cpu")
    weights = []
    for run in ("a", "b"):
        with Store(tmp_path / f"{run}.sqlite") as store:
            result = align(spec, gender, settings=settings, out_dir=tmp_path / run, store=store)
        weights.append(load_file(str(result.adapter_dir / "adapter_model.safetensors")))
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


@pytest.mark.parametrize("name", ALL)
def test_pairs_longer_than_max_length_are_reported_not_hidden(small_dir, gender, tmp_path, name):
    """A pair whose prompt fills max_length is left out and said (ORPO and CPO would train
    it on an empty completion); none left is an input error, and a failed run trained
    nothing, so a fixed rerun may use its folder."""
    spec = ModelSpec(str(small_dir), device="cpu")
    settings = AlignSettings(
        method=name, rejected="biased", train_sample=4, max_steps=1, max_length=180
    )
    events: list = []
    with Store(tmp_path / "runs.sqlite") as store:
        with pytest.raises(InputError, match="max_length 50 is shorter than every prompt"):
            align(spec, gender, settings=dataclasses.replace(settings, max_length=50),
                  out_dir=tmp_path / "a", store=store)  # fmt: skip
        result = align(spec, gender, settings=settings, out_dir=tmp_path / "a", store=store,
                       reporter=events.append)  # fmt: skip
        assert not result.reused  # the failed run's folder, trained in by the fixed one
        builder = PromptBuilder(fresh(small_dir).tokenizer)
        by_id = {i.id: i for i in gender}
        lengths = [len(builder.prompt_ids(by_id[i])) for i in result.train_ids]
        too_long = sum(n >= 180 for n in lengths)
        assert 0 < too_long < 4, lengths  # ambiguous contexts are shorter than disambiguated
        warnings = [e.text for e in events if isinstance(e, Message) and e.level == "warning"]
        assert warnings == [f"{too_long} of 4 pairs dropped: prompt longer than max_length "
                            "180; raise --max-length to keep them"]  # fmt: skip
        assert result.metrics["pairs_used"] == 4 - too_long


# -- SmolLM2-135M: a short real run of each method moves the answer letters -------------


# dpo's run is the quick one (one pair a step); the others take both pairs a step
SMOLLM2 = {"dpo": dict(batch_size=1)}


@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n in SMOLLM2 else pytest.mark.slow)
                                  for n in ALL])  # fmt: skip
def test_smollm2_short_run_moves_letters_toward_chosen(smollm2_dir, gender, tmp_path, name):
    loaded = fresh(smollm2_dir)
    builder = PromptBuilder(loaded.tokenizer)
    items = one_instance(gender, "2")[:2]  # the ambiguous and disambiguated negative question
    loaded.model.eval()
    before = letter_logprobs(loaded.model, builder, items)
    pairs = build_pairs(items, builder, rejected="biased")
    size = SMOLLM2.get(name, dict(batch_size=4 if name == "kto" else 2))
    settings = settings_for(name, **size, max_steps=2, learning_rate=5e-4, max_length=320)
    events: list = []
    trainer = train(loaded, pairs, settings, tmp_path / "ckpt", events)
    model = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False).eval()
    after = letter_logprobs(model, builder, items)
    print(
        name,
        "letter log-prob of the correct answer, before/after:",
        before.tolist(),
        after.tolist(),
    )
    assert [e.step for e in events if isinstance(e, TrainStep)] == [1, 2]
    assert (after > before + 0.01).all(), (before, after)
