"""Block-sparse attention over a packed prefix tree equals the dense mask's attention."""

from __future__ import annotations

import pytest
import torch

from auditor.evaluation.prompts import PromptBuilder
from auditor.evaluation.scoring.branched import query_spans, tree_mask
from auditor.evaluation.scoring.prefix_tree import Tree
from auditor.models import block_attention
from auditor.models.block_attention import attention_blocks, blocks_of


def packed(tiny_model, few_items, n=8):
    builder = PromptBuilder(tiny_model.tokenizer)
    tree = Tree([builder.prompt_ids(item) for item in few_items[:n]])
    tokens, positions, first = tree.layout()
    spans = query_spans(tree, first)
    return tree, torch.tensor([tokens]), torch.tensor([positions]), tree_mask(tree), spans


def forward(model, ids, positions, allowed):
    with torch.inference_mode():
        out = model(input_ids=ids, attention_mask=allowed[None, None], position_ids=positions)
    return out.logits[0]


def test_blocks_give_the_dense_masks_logits_and_run_block_by_block(
    tiny_model, few_items, monkeypatch
):
    model = tiny_model.model
    tree, ids, positions, allowed, spans = packed(tiny_model, few_items)
    assert spans[0][0] == 0 and spans[-1][1] == len(allowed)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))  # cover, in order
    assert 1 < len(spans) < len(tree.nodes) + 1  # short edges merged
    seen = []
    real = block_attention._block_sdpa

    def spy(module, query, key, value, mask, **kwargs):
        seen.append(block_attention._BLOCKS.get() is not None)
        return real(module, query, key, value, mask, **kwargs)

    monkeypatch.setattr(block_attention, "_block_sdpa", spy)
    dense = forward(model, ids, positions, allowed)
    with attention_blocks(model, allowed, spans):
        assert model.config._attn_implementation == block_attention.NAME
        blocked = forward(model, ids, positions, allowed)
    assert model.config._attn_implementation == "sdpa"
    assert seen and all(seen) and len(seen) == model.config.num_hidden_layers
    assert torch.allclose(blocked, dense, atol=1e-5, rtol=0)
    assert not torch.equal(blocked, dense) or len(spans) == 1  # it did run another way


def test_each_block_sees_exactly_the_keys_its_rows_allow(tiny_model, few_items):
    _, _, _, allowed, spans = packed(tiny_model, few_items)
    pairs = 0
    for start, end, keys, mask in blocks_of(allowed, spans):
        rows = allowed[start:end]
        assert torch.equal(rows.any(0).nonzero().flatten(), keys)
        assert torch.equal(mask[0, 0], rows[:, keys])
        assert int(rows.sum()) == int(mask.sum())  # no allowed key left out
        pairs += mask.numel()
    assert pairs < 0.5 * allowed.numel()  # the point: far fewer query-key pairs


def test_the_implementation_comes_back_after_an_error_and_other_ones_are_left_alone(
    tiny_model, few_items, monkeypatch
):
    model = tiny_model.model
    _, _, _, allowed, spans = packed(tiny_model, few_items, n=4)
    with pytest.raises(RuntimeError), attention_blocks(model, allowed, spans):
        raise RuntimeError("stopped mid-forward")
    assert model.config._attn_implementation == "sdpa"
    assert block_attention._BLOCKS.get() is None
    with attention_blocks(model, allowed, None):  # no spans: off
        assert model.config._attn_implementation == "sdpa"
    with monkeypatch.context() as patch:  # sub-models keep their own implementations
        patch.setattr(type(model.config), "sub_configs", {"text_config": object})
        with attention_blocks(model, allowed, spans):
            assert model.config._attn_implementation == "sdpa"
    model.config._attn_implementation = "eager"
    try:
        with attention_blocks(model, allowed, spans):
            assert model.config._attn_implementation == "eager"
    finally:
        model.config._attn_implementation = "sdpa"
