"""The cloze format: no options listed, no letters; the prefix-shared options scorer on it
equals a naive one-forward-per-option reference written here from scratch."""

from __future__ import annotations

import pytest
import torch

from auditor.evaluation.cloze import ClozeBuilder
from auditor.evaluation.evaluate import evaluate
from auditor.evaluation.scoring import score_batch
from auditor.evaluation.scoring.options import option_logliks
from auditor.models.loading import ModelSpec
from auditor.store.db import Store


def naive_cloze(model, tokenizer, item):
    """Per option: summed and per-token log-likelihood of ' <option>' after
    '<context>\\n\\nQ: <question>\\nA:', one unbatched forward each."""
    prompt = f"{item.context.strip()}\n\nQ: {item.question.strip()}\nA:"
    head = tokenizer(prompt, add_special_tokens=True)["input_ids"]
    out = []
    with torch.inference_mode():
        for option in item.options:
            tail = tokenizer(" " + option.text.strip(), add_special_tokens=False)["input_ids"]
            ids = torch.tensor([head + tail])
            logp = model(input_ids=ids).logits[0, :-1].float().log_softmax(-1)
            picked = logp[len(head) - 1 :].gather(-1, ids[0, len(head) :, None])[:, 0]
            out.append((float(picked.sum()), float(picked.mean())))
    return out


def test_cloze_prompt_lists_no_options_and_no_letters(tiny_model, few_items):
    builder = ClozeBuilder(tiny_model.tokenizer)
    item = few_items[0]
    prompt = builder.prompt(item)
    assert prompt == f"{item.context.strip()}\n\nQ: {item.question.strip()}\nA:"
    for option in item.options:
        assert option.text.strip() not in prompt.split("Q:")[1]
    assert "A." not in prompt and "<|im_start|>" not in prompt
    assert builder.option_text(item, 1) == " " + item.options[1].text.strip()


def test_cloze_scorer_equals_naive_reference(tiny_model, few_items):
    builder = ClozeBuilder(tiny_model.tokenizer)
    items = list(few_items[:10])
    prompt_ids = [builder.prompt_ids(i) for i in items]
    assert len({len(p) for p in prompt_ids}) > 3  # real left padding in the batch
    sums, counts = option_logliks(tiny_model.model, builder, items, prompt_ids)
    answers = score_batch("cloze", tiny_model.model, builder, items, prompt_ids)
    for k, item in enumerate(items):
        ref = naive_cloze(tiny_model.model, tiny_model.tokenizer, item)
        assert sums[k].tolist() == pytest.approx([s for s, _ in ref], abs=1e-4)
        means = [m for _, m in ref]
        assert list(answers[k].scores[:3]) == pytest.approx(means, abs=1e-5)
        assert answers[k].predicted == max(range(3), key=means.__getitem__)


def test_evaluate_in_cloze_mode_is_its_own_run(tmp_path, tiny_model, tiny_llama_dir, few_items):
    spec = ModelSpec(str(tiny_llama_dir), device="cpu")
    with Store(tmp_path / "runs.sqlite") as store:
        cloze = evaluate(spec, few_items[:8], store=store, loaded=tiny_model, mode="cloze")
        letter = evaluate(spec, few_items[:8], store=store, loaded=tiny_model)
        run = store.run(cloze)
        assert cloze != letter and run.mode == "cloze"
        assert run.template == "{context}\n\nQ: {question}\nA:"
        assert len(store.answers(cloze)) == 8
