"""Shared-prompt DPO on real components: BBQ-lite pairs, trl's collator and trainer, the
small BPE Llama. A batch's rows run as one prefix tree, each shared prompt once, and the
training is trl's own: the same losses, metrics and gradients."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from auditor.align.preferences import build_pairs, to_dataset
from auditor.align.settings import AlignSettings
from auditor.align.shared_prompt import REF_PASS_PAIRS
from auditor.core.errors import InputError
from auditor.core.events import TrainStep
from auditor.evaluation.prompts import PromptBuilder

from .test_train import fresh, one_instance, train

DPO_METHODS = ("dpo", "ipo", "robust", "hinge")


@pytest.fixture(scope="module")
def small_dir(small_llama_dir):
    return small_llama_dir


@pytest.fixture(scope="module")
def gender(lite_items):
    return [i for i in lite_items if i.attribute == "Gender_identity" and i.roles is not None]


def collated(loaded, pairs):
    """trl's own tokenization and padded batch of ``pairs``, as its trainer builds them."""
    from trl.trainer.dpo_trainer import DataCollatorForPreference

    tok = loaded.tokenizer
    rows = []
    for row in to_dataset(pairs, tok):
        prompt = tok(row["prompt"])["input_ids"]
        rows.append(
            {
                "prompt_ids": prompt,
                "chosen_ids": tok(row["chosen"] + tok.eos_token)["input_ids"],
                "rejected_ids": tok(row["rejected"] + tok.eos_token)["input_ids"],
            }
        )
    batch = DataCollatorForPreference(pad_token_id=tok.pad_token_id)(rows)
    labels = batch["input_ids"].masked_fill(batch["completion_mask"] == 0, -100)
    return batch, labels


def test_an_items_pairs_share_one_prompt_and_one_chosen_answer(small_dir, gender):
    """all_wrong: two items' pairs are eight padded rows in trl's batch; the plan's tree
    holds each distinct prefix once (the two prompts, their three answers each, the
    prompts' common opening once), and its index rebuilds every real token of every row."""
    from auditor.align.shared_prompt import plan
    from auditor.evaluation.scoring.prefix_tree import unique_tokens

    loaded = fresh(small_dir)
    items = one_instance(gender)[:2]
    pairs = build_pairs(items, PromptBuilder(loaded.tokenizer), rejected="all_wrong")
    assert len(pairs) == 4
    batch, labels = collated(loaded, pairs)
    found = plan(batch["input_ids"], batch["attention_mask"], labels)
    real = batch["attention_mask"].bool()
    rows = [row[mask].tolist() for row, mask in zip(batch["input_ids"], real, strict=True)]
    assert len(found.trees) == 1 and len(found.trees[0].seqs) == 8
    assert found.tokens == unique_tokens(rows) < found.rows_tokens / 3
    source = torch.tensor(found.trees[0].layout()[0] + [-1])
    rebuilt = source[found.index]
    assert torch.equal(rebuilt[real], batch["input_ids"][real])
    assert (rebuilt[~real] == -1).all()
    assert found.rows_tokens == int(real.sum())
    # a row that is not prompt + completion right-padded is left to trl's own forward
    broken = labels.clone()
    broken[0, 0] = batch["input_ids"][0, 0]
    assert plan(batch["input_ids"], batch["attention_mask"], broken) is None


def test_rows_wider_than_one_tree_run_as_several(small_dir, gender, monkeypatch):
    """A batch past its packed width runs as several trees; the index still finds
    every token, each tree's positions after the one before."""
    from auditor.align import shared_prompt

    loaded = fresh(small_dir)
    pairs = build_pairs(one_instance(gender), PromptBuilder(loaded.tokenizer))
    batch, labels = collated(loaded, pairs)
    real = batch["attention_mask"].bool()
    whole = shared_prompt.plan(batch["input_ids"], batch["attention_mask"], labels)
    monkeypatch.setattr(shared_prompt, "packed_groups",
                        lambda seqs, width: [[i] for i in range(len(seqs))])  # fmt: skip
    split = shared_prompt.plan(batch["input_ids"], batch["attention_mask"], labels)
    assert len(split.trees) == len(pairs) * 2 and split.tokens == split.rows_tokens
    assert whole.tokens < split.tokens
    source = torch.tensor([t for tree in split.trees for t in tree.layout()[0]] + [-1])
    assert torch.equal(source[split.index][real], batch["input_ids"][real])


@pytest.mark.parametrize("blocks", [True, False], ids=["block-attention", "dense-mask"])
def test_hidden_states_and_gradients_equal_the_full_rows(small_dir, gender, monkeypatch, blocks):
    """The fused forward on the batch's prefix tree gives trl's per-token log-probs, and the
    same gradients: every row's flow back into the prefixes it shares; on CPU with the
    attention block by block as with the dense tree mask."""
    from trl.trainer.utils import add_fused_lm_head

    from auditor.align.shared_prompt import SharedPrompt
    from auditor.evaluation.scoring import branched
    from auditor.models import block_attention

    calls = []
    real_block_sdpa = block_attention._block_sdpa
    monkeypatch.setattr(branched, "BLOCK_ATTENTION", blocks)
    monkeypatch.setattr(block_attention, "_block_sdpa",
                        lambda *a, **k: calls.append(1) or real_block_sdpa(*a, **k))  # fmt: skip

    pairs = build_pairs(one_instance(gender)[:2], PromptBuilder(fresh(small_dir).tokenizer))
    results = []
    for shared in (False, True):
        loaded = fresh(small_dir)
        model = loaded.model.train()
        add_fused_lm_head(model, outputs=("log_probs", "entropy", "mean_logits", "is_top1"))
        hook = SharedPrompt(model) if shared else None
        batch, labels = collated(loaded, pairs)
        out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                    labels=labels, use_cache=False, fused_lm_head=True)  # fmt: skip
        out.log_probs.sum().backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        results.append((out, grads, hook))
    (full, full_grads, _), (ours, our_grads, hook) = results
    assert hook.batches == 1 and hook.fallbacks == 0
    layers = fresh(small_dir).model.config.num_hidden_layers
    assert len(calls) == (layers if blocks else 0)
    for field in ("log_probs", "entropy", "mean_logits"):
        assert torch.allclose(getattr(ours, field), getattr(full, field), atol=1e-5), field
    assert torch.equal(ours.is_top1 & ours.label_mask, full.is_top1 & full.label_mask)
    assert our_grads.keys() == full_grads.keys() and len(our_grads) > 10
    embed = next(n for n in full_grads if "embed_tokens" in n)
    for name, grad in full_grads.items():
        assert torch.allclose(our_grads[name], grad, atol=1e-5, rtol=1e-4), name
    # the prompt's tokens got their gradient through the shared prefix
    prompt_token = int(hook_prompt_token(pairs, fresh(small_dir)))
    assert full_grads[embed][prompt_token].abs().sum() > 0
    assert torch.allclose(our_grads[embed][prompt_token], full_grads[embed][prompt_token],
                          atol=1e-6)  # fmt: skip


def hook_prompt_token(pairs, loaded):
    """A token id that occurs in the prompt only, not in any answer."""
    tok = loaded.tokenizer
    answers = {t for p in pairs for t in tok(p.chosen + p.rejected)["input_ids"]}
    return next(t for t in tok(pairs[0].prompt)["input_ids"] if t not in answers)


@pytest.mark.parametrize("name", DPO_METHODS)
def test_each_dpo_method_trains_as_trl_does(small_dir, gender, tmp_path, name):
    """Same pairs and seeds: per-step losses and rewards equal trl's way within 1e-4, with
    half the tokens computed; the reference takes the shared path too."""
    pairs = build_pairs(one_instance(gender), PromptBuilder(fresh(small_dir).tokenizer))
    runs = {}
    for switch in ("off", "on"):
        settings = AlignSettings(
            method=name,
            batch_size=4,
            max_steps=4,
            learning_rate=1e-2,
            save_steps=100,
            lora_dropout=0.0,
            shared_prompt=switch,
            precompute_ref="off",
        )
        events: list = []
        trainer = train(fresh(small_dir), pairs, settings, tmp_path / switch, events)
        hook = getattr(trainer.model.get_base_model(), "_spillover_shared_prompt", None)
        runs[switch] = [e.metrics for e in events if isinstance(e, TrainStep)], hook, trainer
    (trl_steps, none, trl_trainer), (steps, hook, trainer) = runs["off"], runs["on"]
    assert none is None and type(trl_trainer).__name__ == "DPOTrainer"
    assert type(trainer).__name__ == "SharedPromptDPOTrainer"
    assert hook.batches == 8 and hook.fallbacks == 0  # policy and reference, every step
    assert hook.tokens < hook.rows_tokens * 0.6
    assert len(steps) == len(trl_steps) == 4
    for a, b in zip(trl_steps, steps, strict=True):
        for key in (
            "loss",
            "rewards/margins",
            "rewards/chosen",
            "logps/rejected",
            "entropy",
            "num_tokens",
        ):
            assert b[key] == pytest.approx(a[key], abs=1e-4), key
    assert trl_steps[-1]["loss"] != pytest.approx(trl_steps[0]["loss"], abs=1e-3)  # it moved


def test_precomputed_reference_takes_the_shared_path(small_dir, gender, tmp_path):
    pairs = build_pairs(one_instance(gender), PromptBuilder(fresh(small_dir).tokenizer))
    settings = AlignSettings(
        batch_size=4,
        max_steps=2,
        learning_rate=1e-2,
        save_steps=100,
        precompute_ref="on",
        shared_prompt="on",
    )
    trainer = train(fresh(small_dir), pairs, settings, tmp_path, [])
    hook = trainer.model.get_base_model()._spillover_shared_prompt
    assert len(pairs) == 8 and trainer.args.precompute_ref_batch_size == REF_PASS_PAIRS >= 8
    assert hook.batches == 1 + 2 and hook.fallbacks == 0  # one precompute batch, two steps
    assert "ref_chosen_logps" in trainer.train_dataset.column_names


def test_pairs_seen_once_get_their_reference_once_per_prompt(small_dir, gender, tmp_path):
    """``auto`` under shared prompts, two pairs an item, each pair seen once: the reference
    is computed before training, an item's pairs side by side (each prompt once), and the
    steps' losses are those of the reference computed in each step."""
    pairs = build_pairs(one_instance(gender), PromptBuilder(fresh(small_dir).tokenizer))
    assert len({p.prompt for p in pairs}) == len(pairs) // 2
    settings = AlignSettings(
        batch_size=4,
        max_steps=len(pairs) // 4,  # one pass
        learning_rate=1e-2,
        save_steps=100,
        shared_prompt="on",
    )
    runs = {}
    for switch in ("auto", "off"):
        events: list = []
        trainer = train(
            fresh(small_dir),
            pairs,
            dataclasses.replace(settings, precompute_ref=switch),
            tmp_path / switch,
            events,
        )
        hook = trainer.model.get_base_model()._spillover_shared_prompt
        runs[switch] = [e.metrics["loss"] for e in events if isinstance(e, TrainStep)], hook
    (losses, hook), (in_steps, plain) = runs["auto"], runs["off"]
    assert hook.batches == 1 + 2 and plain.batches == 2 * 2  # the pass's, then policy only
    assert hook.tokens < plain.tokens
    assert len(losses) == 2 and losses == pytest.approx(in_steps, abs=1e-6)


def test_switch_is_checked_and_leaves_the_run_key_alone(small_dir):
    from auditor.align.trainers import uses_shared_prompt

    auto = AlignSettings()
    assert auto.key_dict() == dataclasses.replace(auto, shared_prompt="off").key_dict()
    assert auto.key_dict() == dataclasses.replace(auto, shared_prompt="on").key_dict()
    with pytest.raises(InputError, match="shared_prompt applies to the DPO trainer's methods only"):
        AlignSettings(method="kto", batch_size=2, shared_prompt="on")
    with pytest.raises(InputError, match="shared_prompt needs activation_checkpointing off"):
        AlignSettings(shared_prompt="on", activation_checkpointing=True)
    with pytest.raises(InputError, match="shared_prompt must be one of auto, on, off"):
        AlignSettings(shared_prompt="yes")
    model = fresh(small_dir).model
    assert uses_shared_prompt(model, auto)
    assert not uses_shared_prompt(model, dataclasses.replace(auto, shared_prompt="off"))
    assert not uses_shared_prompt(model, AlignSettings(method="orpo"))  # trl's own path
    assert not uses_shared_prompt(model, AlignSettings(activation_checkpointing=True))
    model.config._attn_implementation = "flex_attention"
    assert not uses_shared_prompt(model, auto)
    with pytest.raises(InputError, match="shared_prompt is 'on' but attention 'flex_attention'"):
        uses_shared_prompt(model, dataclasses.replace(auto, shared_prompt="on"))
