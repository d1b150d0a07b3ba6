"""Shared-prompt preference training: each prompt of a DPO batch runs once, its answers on
the branched KV cache, inside trl's ``DPOTrainer``.

trl concatenates every pair as ``prompt + chosen`` and ``prompt + rejected`` and runs the
backbone over the padded rows, then its fused LM head (``add_fused_lm_head``) scores the
completion tokens. Here only that backbone call changes: rows with the same prompt tokens
(a pair's two rows; an item's pairs under ``rejected = all_wrong`` when they share a batch)
form one group, whose prompt runs once with gradients; its KV cache (not detached) is
branched to each distinct answer of the group (an item's chosen answer once), and the
hidden states are laid out as trl's padded batch, so trl's LM head, loss and metrics run
unchanged. The reference forward (adapter disabled, no grad) and trl's reference
precompute take the same path.

A batch this cannot lay out (not right-padded, no prompt or no completion on a row) runs
trl's own backbone call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor.models.attention import ATTENTION, as_attention_mask

if TYPE_CHECKING:
    import torch

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
        return "activation checkpointing runs without a KV cache"
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
        return f"its KV cache cannot be built ({exc})"
    if any(type(layer) is not DynamicLayer for layer in layers):
        return "its KV cache keeps a sliding window"
    return ""


@dataclass
class Plan:
    """How one padded trl batch maps onto prompt groups and distinct answers."""

    prompt_ids: torch.Tensor  # (G, P) right-padded
    prompt_mask: torch.Tensor  # (G, P)
    prompt_lengths: list[int]
    branch_ids: torch.Tensor  # (U, C) right-padded
    branch_group: torch.Tensor  # (U,) prompt group of each answer
    branch_lengths: list[int]
    index: torch.Tensor  # (rows, L): row of the stacked hidden states each position takes
    rows_tokens: int  # tokens trl's way computes (the batch's attention mask)

    @property
    def tokens(self) -> int:
        """Tokens this way computes."""
        return sum(self.prompt_lengths) + sum(self.branch_lengths)


def plan(input_ids, attention_mask, labels) -> Plan | None:
    """Group the rows of a padded batch by prompt tokens and distinct answers; None where a
    row is not ``prompt + completion`` right-padded (labels -100 on the prompt)."""
    import torch

    ids, mask, lab = input_ids.tolist(), attention_mask.tolist(), labels.tolist()
    rows, width = len(ids), len(ids[0]) if ids else 0
    groups: dict[tuple, int] = {}
    answers: dict[tuple, int] = {}
    shape = []  # per row: (group, answer, prompt length, real length)
    for r in range(rows):
        n = sum(mask[r])
        start = next((t for t in range(n) if lab[r][t] != -100), n)
        if (
            not (0 < start < n)
            or any(mask[r][t] != 1 for t in range(n))
            or any(lab[r][t] == -100 for t in range(start, n))
        ):
            return None
        prompt, answer = tuple(ids[r][:start]), tuple(ids[r][start:n])
        g = groups.setdefault(prompt, len(groups))
        u = answers.setdefault((g, answer), len(answers))
        shape.append((g, u, start, n))
    prompts, branches = list(groups), list(answers)
    width_p = max(len(p) for p in prompts)
    width_c = max(len(a) for _, a in branches)
    pad = 0
    p_ids = [list(p) + [pad] * (width_p - len(p)) for p in prompts]
    p_mask = [[1] * len(p) + [0] * (width_p - len(p)) for p in prompts]
    b_ids = [list(a) + [pad] * (width_c - len(a)) for _, a in branches]
    zero = len(prompts) * width_p + len(branches) * width_c  # the all-zero row
    index = []
    for g, u, start, n in shape:
        row = [g * width_p + t for t in range(start)]
        row += [len(prompts) * width_p + u * width_c + t for t in range(n - start)]
        index.append(row + [zero] * (width - n))
    device = input_ids.device
    tensor = lambda x: torch.tensor(x, dtype=torch.long, device=device)  # noqa: E731
    return Plan(tensor(p_ids), tensor(p_mask), [len(p) for p in prompts], tensor(b_ids),
                tensor([g for g, _ in branches]), [len(a) for _, a in branches], tensor(index),
                int(attention_mask.sum()))  # fmt: skip


def branch_mask(plan: Plan, impl: str, dtype):
    """The answers' 4-D attention mask over [the group's prompt cache, the answer]: a token
    sees its prompt's real tokens and the answer's tokens up to itself."""
    import torch

    device = plan.branch_ids.device
    width_p, width_c = plan.prompt_ids.shape[1], plan.branch_ids.shape[1]
    lengths = torch.tensor(plan.prompt_lengths, device=device)[plan.branch_group]
    sees_prompt = torch.arange(width_p, device=device)[None, :] < lengths[:, None]  # (U, P)
    causal = torch.ones(width_c, width_c, dtype=torch.bool, device=device).tril()
    allowed = torch.cat([sees_prompt[:, None, :].expand(-1, width_c, -1),
                         causal[None].expand(len(lengths), -1, -1)], dim=2)[:, None]  # fmt: skip
    return as_attention_mask(allowed, impl, dtype)


class SharedPrompt:
    """Installed on a causal LM that trl gave its fused LM head: the fused forward's
    backbone call runs shared prompts. Counts the batches and tokens it computed."""

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
        found = plan(kwargs["input_ids"], kwargs["attention_mask"], labels) if ready else None
        if found is None:
            self.fallbacks += int(bool(fused_lm_head))
            return self.fused(*args, fused_lm_head=fused_lm_head, labels=labels, **kwargs)
        from auditor.align.lm_head import completion_logits_only

        self._active = found
        try:
            with completion_logits_only():  # the prompt rows hold no hidden states to score
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
        """trl's padded batch of hidden states, each prompt and each answer computed once."""
        import torch

        prompts = self.original(
            input_ids=found.prompt_ids, attention_mask=found.prompt_mask, use_cache=True
        )
        cache = prompts.cache if hasattr(prompts, "cache") else prompts.past_key_values
        for layer in cache.layers:  # one copy of the group's prompt per answer, with its grad
            layer.batch_select_indices(found.branch_group)
        start = torch.tensor(found.prompt_lengths, device=found.branch_ids.device)
        positions = (
            start[found.branch_group][:, None]
            + torch.arange(found.branch_ids.shape[1], device=found.branch_ids.device)[None, :]
        )
        dtype = self.backbone.get_input_embeddings().weight.dtype
        branches = self.original(input_ids=found.branch_ids, position_ids=positions,
                                 attention_mask=branch_mask(found, self.impl, dtype),
                                 cache=cache, use_cache=True)  # fmt: skip
        a, b = prompts.last_hidden_state, branches.last_hidden_state
        size = a.shape[-1]
        stacked = torch.cat([a.reshape(-1, size), b.reshape(-1, size).to(a.dtype),
                             a.new_zeros(1, size)])  # fmt: skip
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
