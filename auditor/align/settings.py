"""Every knob of an alignment run, declared once (``auditor.align.trl_args`` turns it into
trl and peft arguments).

``AlignSettings`` *is* the ``[align]`` section of a profile: each field's range, choices
and help live in its metadata (``auditor.core.settings``), which drives construction-time
checks, profile validation and the ``spillover align`` flags alike. Defaults follow the
spillover paper where it says (DPO, beta 0.1, learning rate 5e-5, one epoch); the
method-specific ones follow their papers (see ``auditor.align.methods``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from auditor.align import methods
from auditor.align.methods import Method  # the class body shadows `methods` with a field
from auditor.core.choices import REJECTED_MODES, SWITCHES
from auditor.core.errors import InputError
from auditor.core.items import ATTRIBUTES
from auditor.core.settings import Checked, InvalidSettings, Problem, rule_of, setting


@dataclass(frozen=True)
class AlignSettings(Checked):
    """Target, data selection, method, LoRA and training hyperparameters of one alignment
    run."""

    owner = "align settings"

    target: tuple[str, ...] = setting(
        ("Gender_identity",),
        choices=ATTRIBUTES,
        entry="attribute",
        non_empty=True,
        flag="",
        help="Attribute(s) to align on.",
    )
    targets: tuple[str, ...] = setting(
        (),
        choices=ATTRIBUTES,
        entry="attribute",
        in_key=False,
        flag="",
        help="One audit per attribute, on a shared baseline (auditor.audit.grids).",
    )
    # preference data
    rejected: str = setting(
        "all_wrong",
        choices=REJECTED_MODES,
        help="all_wrong: two pairs per item; biased: reject the stereotyped answer only.",
    )
    exclude_trans: bool = setting(
        False, help="Drop the transgender templates from training (as the paper did)."
    )
    exclude_subcategories: tuple[str, ...] = setting(
        (), flag="exclude-subcategory", help="A BBQ subcategory to leave out."
    )
    exclude_templates: tuple[str, ...] = setting(
        (),
        flag="exclude-template",
        help="A question index (35) or ATTR:INDEX to leave out; repeatable.",
    )
    heldout_fraction: float = setting(
        0.2, gt=0, lt=1, flag="heldout", help="Share of template instances held out of training."
    )
    train_sample: int = setting(
        0, ge=0, flag="sample", help="Train on at most N items (whole template instances); 0 = all."
    )
    # method (``auditor.align.methods``) and the hyperparameters some methods read
    method: str = setting(
        "dpo",
        choices=tuple(methods.METHODS),
        help="Alignment method: dpo, ipo, robust, hinge (trl's DPOTrainer "
        "loss types), kto, orpo, simpo.",
    )
    # after `method`: from here on the class body's `methods` is this field, not the module
    methods: tuple[str, ...] = setting(
        (),
        choices=tuple(methods.METHODS),
        entry="method",
        in_key=False,
        flag="",
        help="The spillover matrix's methods: one audit per method × target "
        "(auditor.audit.matrix; empty: just method).",
    )
    beta: float = setting(
        0.1, gt=0, help="dpo, ipo (tau), robust, hinge, kto: strength of the tie to the reference."
    )
    label_smoothing: float = setting(
        0.1, ge=0, lt=0.5, help="robust: assumed share of flipped preferences."
    )
    kto_desirable_weight: float = setting(
        1.0, gt=0, help="kto: weight of the chosen (desirable) rows."
    )
    kto_undesirable_weight: float = setting(
        1.0, gt=0, help="kto: weight of the rejected (undesirable) rows."
    )
    orpo_lambda: float = setting(0.1, gt=0, help="orpo: weight of the odds-ratio term.")
    simpo_beta: float = setting(2.0, gt=0, help="simpo: reward scale.")
    simpo_gamma: float = setting(1.0, ge=0, help="simpo: target reward margin.")
    cpo_alpha: float = setting(
        0.0, ge=0, help="simpo: weight of the chosen answers' NLL (0 = pure SimPO)."
    )
    # training
    learning_rate: float = setting(5e-5, gt=0, flag="lr", help="Learning rate.")
    epochs: float = setting(1.0, gt=0, help="Passes over the pairs (--max-steps overrides).")
    max_steps: int = setting(-1, help="Stop after N optimizer steps (overrides --epochs when > 0).")
    batch_size: int = setting(4, ge=1, help="Pairs per step (kto: rows; a pair gives two).")
    grad_accum: int = setting(1, ge=1, help="Gradient accumulation steps.")
    max_length: int = setting(512, ge=8, help="Longest prompt+answer in tokens.")
    # LoRA
    lora_r: int = setting(16, ge=1, help="LoRA rank.")
    lora_alpha: int = setting(32, ge=1, help="LoRA alpha.")
    lora_dropout: float = setting(0.05, ge=0, lt=1, help="LoRA dropout.")
    target_modules: tuple[str, ...] = setting(
        ("q_proj", "k_proj", "v_proj", "o_proj"),
        non_empty=True,
        help="Module names LoRA adapts (comma-separated).",
    )
    qlora: bool = setting(False, help="4-bit base model (bitsandbytes; CUDA only).")
    activation_checkpointing: bool = setting(False, help="Trade compute for memory.")
    # speed only: the same training, cheaper (see ``speed_plan``)
    precompute_ref: str = setting(
        "auto",
        choices=SWITCHES,
        in_key=False,
        flag="",
        help="Reference log-probs once, before training.",
    )
    completion_logits_only: str = setting(
        "auto", choices=SWITCHES, in_key=False, flag="", help="LM head on completion tokens only."
    )
    shared_prompt: str = setting(
        "auto",
        choices=SWITCHES,
        in_key=False,
        help="DPO trainer's methods: a batch's rows run as one prefix tree, each shared "
        "prompt computed once (auto: where the model allows; off: trl's own forward).",
    )
    # bookkeeping
    save_steps: int = setting(
        50, ge=1, in_key=False, help="Checkpoint every N steps (what a rerun resumes from)."
    )
    logging_steps: int = setting(1, ge=1, in_key=False, flag="")
    trajectory: bool = setting(
        False,
        in_key=False,
        flag="",
        help="Keep the adapter of every checkpoint (save_steps) and evaluate each in the "
        "audit: spillover against training step (needs max_steps > 0).",
    )
    seed: int = setting(0, ge=0, help="Split, sampling and training seed.")
    train_seed: int = setting(
        -1,
        ge=-1,
        flag="",
        help="Seed of the LoRA initialisation and data order only "
        "(-1: seed): one DPO replicate on the same split.",
    )
    seeds: tuple[int, ...] = setting(
        (),
        in_key=False,
        flag="",
        entry="seed",
        help="An audit's DPO seed replicates: one adapter per "
        "seed on the same split, pooled (empty: one run).",
    )

    @property
    def training_seed(self) -> int:
        """The seed of the LoRA initialisation and the data order."""
        return self.seed if self.train_seed < 0 else self.train_seed

    def to_dict(self) -> dict:
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }

    def __post_init__(self) -> None:
        super().__post_init__()
        found = []
        seeds = self.seeds
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in seeds) or len(
            set(seeds)
        ) != len(seeds):
            found.append(
                Problem(
                    "seeds",
                    "must be distinct integers >= 0",
                    f"is {list(seeds)!r}; it must hold distinct integers >= 0",
                )
            )
        if len(set(self.targets)) < len(self.targets):
            found.append(Problem("targets", "names an attribute twice", "names an attribute twice"))
        if len(set(self.methods)) < len(self.methods):
            found.append(Problem("methods", "names a method twice", "names a method twice"))
        small = next((m for m in map(methods.get, (*self.methods, self.method))
                      if self.batch_size < m.min_batch), None)  # fmt: skip
        if small:
            found.append(
                Problem(
                    "batch_size",
                    f"must be >= {small.min_batch} for {small.name} ({small.min_batch_why})",
                    f"is {self.batch_size}; {small.name} needs >= {small.min_batch}",
                )
            )
        if not methods.get(self.method).speed_switches:
            found += [Problem(name, "applies to the DPO trainer's methods only",
                              "is 'on'; it applies to the DPO trainer's methods only")
                      for name in ("precompute_ref", "completion_logits_only", "shared_prompt")
                      if getattr(self, name) == "on"]  # fmt: skip
        if self.shared_prompt == "on" and self.activation_checkpointing:
            found.append(
                Problem(
                    "shared_prompt",
                    "needs activation_checkpointing off (it recomputes layers outside the "
                    "packed forward)",
                    "is 'on' with activation checkpointing, which recomputes layers outside "
                    "the packed forward",
                )
            )
        if found:
            raise InvalidSettings(self.owner, found)

    def key_dict(self) -> dict:
        """The settings that decide the trained weights (what a resume must match); the
        target is keyed on its own. Only the method's own hyperparameters count; a ``dpo``
        run's key holds neither ``method`` nor any method-specific field but ``beta``, as
        before methods existed."""
        keyed = {f.name for f in dataclasses.fields(self) if rule_of(f).in_key} - {"target"}
        keyed -= methods.unused(self.method)
        if self.training_seed == self.seed:  # trains as without a train_seed: same key
            keyed.discard("train_seed")
        return {k: v for k, v in self.to_dict().items() if k in keyed}

    @property
    def method_info(self) -> Method:
        return methods.get(self.method)

    @classmethod
    def from_mapping(cls, values: dict) -> AlignSettings:
        """Build from a dict (e.g. a profile's align section as TOML gives it)."""
        known = {f.name for f in dataclasses.fields(cls)}
        extra = sorted(set(values) - known)
        if extra:
            raise InputError(f"align settings: unknown key {', '.join(extra)}")
        return cls(**values)

    def speed_plan(self, device: str, n_pairs: int = 0, prompts: int = 0) -> dict[str, bool]:
        """The speed switches resolved for ``device`` and ``n_pairs`` training pairs; each
        changes cost, not the training.

        - ``precompute_ref``: trl computes the reference log-probs (the base model, adapter
          disabled) in one no-grad pass before training, so no step runs the reference.
          That pass costs what the steps' reference forwards would in one epoch, so it
          saves when the run sees its pairs more than once. Under shared prompts
          (``prompts``: the pairs' distinct prompts, 0 without) the pass runs the pairs in
          order, an item's pairs side by side, so each prompt once, where a step's random
          batch rarely holds two pairs of one item: off CUDA/XPU it saves when the run
          sees more pairs than there are prompts. On CUDA/XPU that saving (half an epoch
          of fast reference forwards, not measured there) may be smaller than the hash
          of every weight trl takes before the pass (0.6 s for 135M parameters on a CPU
          core, some 30 s at 7B by extrapolation): there only a second pass over the
          pairs turns it on. ``auto``: on then. A resumed run recomputes the same values
          from the same base model.
        - ``completion_logits_only``: trl's fused LM head scores only the completion
          positions on CUDA/XPU with Triton but every position elsewhere; this restricts it
          to the completion tokens there too. ``auto``: on off CUDA/XPU, where trl does not.

        Both apply to the methods on trl's DPO trainer; the others run trl's own path.
        """
        if not self.method_info.speed_switches:  # the other trainers run trl's own path
            return {"precompute_ref": False, "completion_logits_only": False}
        accelerated = device.startswith(("cuda", "xpu"))
        seen: float
        if self.max_steps > 0:
            seen = self.max_steps * self.batch_size * self.grad_accum
        else:
            seen = self.epochs * n_pairs
        pass_cost = n_pairs if accelerated else prompts or n_pairs  # its prompt forwards
        auto = {"precompute_ref": n_pairs > 0 and seen > pass_cost,
                "completion_logits_only": not accelerated}  # fmt: skip
        return {
            k: auto[k] if getattr(self, k) == "auto" else getattr(self, k) == "on" for k in auto
        }
