"""Shared-prompt preference training: every distinct prefix of a DPO batch runs once,
inside trl's ``DPOTrainer``.

trl concatenates every pair as ``prompt + chosen`` and ``prompt + rejected`` and runs the
backbone over the padded rows, then its fused LM head (``add_fused_lm_head``) scores the
completion tokens. Here only that backbone call changes: the batch's rows form a prefix
tree (``prefix_tree.Tree``; a pair's two rows share their prompt, an item's pairs under
``rejected = all_wrong`` their chosen answer too, and every prompt the chat template's
opening), run as one packed forward with gradients under the tree's attention mask, as
the evaluation's packed trees run (``evaluation.scoring.branched``: each token sees
exactly the keys and positions of its own row; on CPU block by block). The hidden states
are laid out as trl's padded batch, so trl's LM head, loss and metrics run unchanged,
and the gradient of every row flows back into the prefixes it shares. The reference
forward (adapter disabled, no grad) and trl's reference precompute take the same path.

A batch this cannot lay out (not right-padded, no prompt or no completion on a row) runs
trl's own backbone call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor.evaluation.scoring import branched
from auditor.evaluation.scoring.prefix_tree import Tree, packed_groups
from auditor.models.attention import ATTENTION, as_attention_mask
from auditor.models.block_attention import attention_blocks

if TYPE_CHECKING:
    import torch

REF_PASS_PAIRS = 16
"""Pairs a batch of trl's reference pass holds under shared prompts: its rows run as trees
of at most ``packed_width`` tokens, so more pairs share more prefixes and fewer, larger
forwards run (no grad: little memory)."""

_PLAIN_KWARGS = ("input_ids", "attention_mask", "use_cache")
"""What trl's DPO forward passes; any other argument set runs trl's own backbone call."""


def unsupported(model, activation_checkpointing: bool) -> str:
    """Why ``model`` (the causal LM, peft-wrapped or not) cannot train on shared prompts,
    or ``""``."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = base.config.get_text_config()
    if activation_checkpointing:
        return "activation checkpointing recomputes layers outside the packed forward"
    impl = getattr(base.config, "_attn_implementation", None)
    if impl not in ATTENTION:
        return f"attention {impl!r} takes no 4-D mask (sdpa or eager do)"
    if getattr(config, "output_router_logits", False) or getattr(config, "num_experts", 0):
        return "mixture-of-experts models add a router loss over the whole batch"
    if base.config is not config:
        return "a vision-language model's prompts are not text only"
    try:
        layers = DynamicCache(config=config).layers
    except Exception as exc:  # noqa: BLE001 - a model whose cache we cannot build
        return f"its attention layers cannot be told apart ({exc})"
    if any(type(layer) is not DynamicLayer for layer in layers):
        return "its layers attend through a sliding window"
    return ""


@dataclass
class Plan:
    """One padded trl batch as prefix trees: every distinct prefix of its rows once."""

    trees: list[Tree]  # each run as one packed forward (``Tree.layout``)
    index: torch.Tensor  # (rows, L): position of the trees' stacked hidden states each takes
    rows_tokens: int  # tokens trl's way computes (the batch's attention mask)

    @property
    def tokens(self) -> int:
        """Tokens this way computes."""
        return sum(tree.positions() for tree in self.trees)


def plan(input_ids, attention_mask, labels, width: int | None = None) -> Plan | None:
    """The rows of a padded batch as prefix trees of at most ``width`` tokens each
    (``packed_groups``, default ``PACKED_WIDTH``); None where a row is not
    ``prompt + completion`` right-padded (labels -100 on the prompt)."""
    import torch

    ids, mask, lab = input_ids.tolist(), attention_mask.tolist(), labels.tolist()
    seqs = []
    for r in range(len(ids)):
        n = sum(mask[r])
        start = next((t for t in range(n) if lab[r][t] != -100), n)
        if (
            not (0 < start < n)
            or any(mask[r][t] != 1 for t in range(n))
            or any(lab[r][t] == -100 for t in range(start, n))
        ):
            return None
        seqs.append(ids[r][:n])
    trees: list[Tree] = []
    index: list[list[int]] = [[] for _ in seqs]
    offset = 0
    for group in packed_groups(seqs, width):
        tree = Tree([seqs[r] for r in group])
        first = tree.layout()[2]
        for n, r in enumerate(group):
            for t in range(len(seqs[r])):
                node, at = tree.locate(n, t)
                index[r].append(offset + first[node] + at)
        trees.append(tree)
        offset += tree.positions()
    width = len(ids[0])
    index = [row + [offset] * (width - len(row)) for row in index]  # padding: the zero row
    return Plan(trees, torch.tensor(index, dtype=torch.long, device=input_ids.device),
                int(attention_mask.sum()))  # fmt: skip


class SharedPrompt:
    """Installed on a causal LM that trl gave its fused LM head: the fused forward's
    backbone call runs the batch as prefix trees. Counts the batches and tokens it
    computed."""

    def __init__(self, model):
        import types

        self.model, self.backbone = model, model.base_model
        self.impl = model.config._attn_implementation
        self.fused, self.original = model.forward, self.backbone.forward
        self._active: Plan | None = None
        self.batches = self.fallbacks = self.tokens = self.rows_tokens = 0
        model.forward = types.MethodType(self._fused_forward, model)
        self.backbone.forward = self._backbone_forward
        model._spillover_shared_prompt = self

    def _fused_forward(self, _model, *args, fused_lm_head=False, labels=None, **kwargs):
        extra = [k for k, v in kwargs.items() if k not in _PLAIN_KWARGS and v not in (None, False)]
        ready = (fused_lm_head and labels is not None and not args and not extra
                 and kwargs.get("input_ids") is not None
                 and kwargs.get("attention_mask") is not None)  # fmt: skip
        width = branched.packed_width(self.backbone)
        found = (
            plan(kwargs["input_ids"], kwargs["attention_mask"], labels, width) if ready else None
        )
        if found is None:
            self.fallbacks += int(bool(fused_lm_head))
            return self.fused(*args, fused_lm_head=fused_lm_head, labels=labels, **kwargs)
        from auditor.align.lm_head import completion_logits_only

        self._active = found
        try:
            with completion_logits_only():  # the LM head projects the completion rows only
                return self.fused(fused_lm_head=True, labels=labels, **kwargs)
        finally:
            self._active = None

    def _backbone_forward(self, *args, **kwargs):
        found, self._active = self._active, None
        if found is None:
            return self.original(*args, **kwargs)
        from transformers.modeling_outputs import BaseModelOutputWithPast

        return BaseModelOutputWithPast(last_hidden_state=self.hidden_states(found))

    def hidden_states(self, found: Plan):
        """trl's padded batch of hidden states, every distinct prefix computed once."""
        import torch

        device = found.index.device
        dtype = self.backbone.get_input_embeddings().weight.dtype
        outs = []
        for tree in found.trees:
            tokens, positions, first = tree.layout()
            allowed = branched.tree_mask(tree).to(device)
            spans = (
                branched.query_spans(tree, first)
                if branched.runs_in_blocks(self.backbone)
                else None
            )
            with attention_blocks(self.backbone, allowed, spans):
                out = self.original(
                    input_ids=torch.tensor([tokens], device=device),
                    position_ids=torch.tensor([positions], device=device),
                    attention_mask=as_attention_mask(allowed[None, None], self.impl, dtype),
                    use_cache=False,
                )
            outs.append(out.last_hidden_state[0])
        stacked = torch.cat([*outs, outs[0].new_zeros(1, outs[0].shape[-1])])
        self.batches += 1
        self.tokens += found.tokens
        self.rows_tokens += found.rows_tokens
        return stacked[found.index]


def install(model) -> SharedPrompt:
    """Shared prompts on ``model`` (peft-wrapped or not), once."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return getattr(base, "_spillover_shared_prompt", None) or SharedPrompt(base)


def trainer_class():
    """trl's ``DPOTrainer`` with shared prompts in its policy, reference and precompute
    forwards."""
    from trl import DPOTrainer

    class SharedPromptDPOTrainer(DPOTrainer):
        """trl's DPO trainer; its fused forward computes each prompt of a batch once."""

        @property
        def shared_prompt(self) -> SharedPrompt:
            return install(self.model)

        def _precompute_ref_logps(self, *args, **kwargs):
            self.shared_prompt  # noqa: B018 - installed before the first forward
            return super()._precompute_ref_logps(*args, **kwargs)

        def compute_loss(self, *args, **kwargs):
            self.shared_prompt  # noqa: B018
            return super().compute_loss(*args, **kwargs)

    return SharedPromptDPOTrainer
