"""The real SmolLM2-135M-Instruct on a handful of BBQ items, in every scoring mode."""

from __future__ import annotations

import pytest
import torch

from auditor.evaluation.prompts import PromptBuilder
from auditor.evaluation.scoring import score_batch

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)


def test_smollm2_letter_options_generate(smollm2, few_items):
    items = [few_items[i] for i in (0, 5, 17)]
    builder = PromptBuilder(smollm2.tokenizer)
    prompt_ids = [builder.prompt_ids(item) for item in items]
    model = smollm2.model

    letter = score_batch("letter", model, builder, items, prompt_ids)
    # An instruction-tuned model puts real mass on the answer letters.
    assert all(sum(torch.tensor(a.scores).exp()) > 0.5 for a in letter)

    # (prefix-shared == naive on this model: benchmarks/bench_scoring.py asserts it)
    options = score_batch("options", model, builder, items, prompt_ids)
    for answer in options:
        assert all(x < 0 for x in answer.scores)
        assert len(answer.scores) == 6  # per-token means, then sums
        assert answer.predicted == max(range(3), key=answer.scores.__getitem__)

    generated = score_batch("generate", model, builder, items, prompt_ids, max_new_tokens=4)
    # It answers in the asked format; the parse agrees with the letter it wrote, and
    # greedy decoding picks the letter that letter mode found most likely.
    assert all(a.predicted is not None for a in generated)
    assert [a.text[0] for a in generated] == ["ABC"[a.predicted] for a in generated]
    assert [a.predicted for a in generated] == [a.predicted for a in letter]


def test_smollm2_prefix_tree_equals_unshared(smollm2, few_items):
    """Two template instances (eight items, shared contexts) with the real model: the
    prefix tree gives the unshared batch's answers in letter, options and generate mode.

    Scores agree to fp32 batching noise: a batch's scores already differ from one-item
    forwards by ~1e-5 in this 30-layer model (measured here too), the tree's by ~2e-5."""
    from auditor.evaluation.orders import permuted

    items = list(few_items[:8])
    assert len({item.context for item in items}) < len(items)  # contexts shared
    builder = PromptBuilder(smollm2.tokenizer)
    units = items + [permuted(items[0], (2, 0, 1))]  # and two orderings of one item
    prompt_ids = [builder.prompt_ids(u) for u in units]
    model = smollm2.model
    letter = {}  # shared -> the letter batch, checked against one-item forwards below
    for mode in ("letter", "options", "generate"):
        plain = score_batch(mode, model, builder, units, prompt_ids, max_new_tokens=4)
        tree = score_batch(mode, model, builder, units, prompt_ids, max_new_tokens=4, shared=True)
        if mode == "letter":
            letter = {False: plain, True: tree}
        assert [a.predicted for a in plain] == [a.predicted for a in tree], mode
        assert [a.text for a in plain] == [a.text for a in tree], mode
        for p, t in zip(plain, tree, strict=True):
            assert all(
                abs(x - y) <= 5e-5 * max(1.0, abs(x))
                for x, y in zip(p.scores, t.scores, strict=True)
            ), (mode, p, t)
    # Both against one-item forwards (no padding, no sharing): the same noise floor.
    one = [
        score_batch("letter", model, builder, [u], [p])[0]
        for u, p in zip(units, prompt_ids, strict=True)
    ]
    for shared in (False, True):
        batch = letter[shared]
        assert [a.predicted for a in batch] == [a.predicted for a in one]
        assert max(_gaps(batch, one)) <= 5e-5


def _gaps(answers, reference):
    return [
        abs(x - y)
        for a, b in zip(answers, reference, strict=True)
        for x, y in zip(a.scores, b.scores, strict=True)
    ]
