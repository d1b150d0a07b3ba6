"""Every knob of an alignment run, frozen and validated, and its trl / peft translations.

Field names match the ``[align]`` section of a profile (``auditor.profiles.AlignSection``)
minus ``target``; ``prompt_style`` comes from the profile's ``[eval]``. Defaults follow
the spillover paper where it says (DPO, beta 0.1, learning rate 5e-5, one epoch); the
method-specific ones follow their papers (see ``auditor.align.methods``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from auditor.align import methods
from auditor.align.preferences import REJECTED_MODES
from auditor.core.errors import InputError

KEY_EXEMPT: frozenset[str] = frozenset(
    {"save_steps", "logging_steps", "precompute_ref", "completion_logits_only"}
)
"""Settings that change bookkeeping or speed only: a rerun differing in them still resumes."""

SWITCHES = ("auto", "on", "off")
"""Values of the speed switches; ``auto`` decides per device (see ``speed_plan``)."""


@dataclass(frozen=True)
class DPOSettings:
    """Data selection, method, LoRA and training hyperparameters of one alignment run."""

    # preference data
    rejected: str = "all_wrong"  # "all_wrong" (two pairs per item) | "biased" (one)
    exclude_trans: bool = False  # drop the transgender templates (the paper did)
    exclude_subcategories: tuple[str, ...] = ()
    exclude_templates: tuple[str, ...] = ()  # "35", "Gender_identity:35" or Item.template
    heldout_fraction: float = 0.2
    train_sample: int = 0  # cap on training items (0 = all), template instances whole
    prompt_style: str = "auto"  # PromptBuilder style; use the evaluation's
    # method (``auditor.align.methods``) and the hyperparameters some methods read
    method: str = "dpo"  # dpo | ipo | robust | hinge | kto | orpo | simpo
    beta: float = 0.1  # dpo, ipo (tau), robust, hinge, kto
    label_smoothing: float = 0.1  # robust: assumed share of flipped preferences, [0, 0.5)
    kto_desirable_weight: float = 1.0  # kto: weight of the desirable (chosen) rows' loss
    kto_undesirable_weight: float = 1.0  # kto: weight of the undesirable (rejected) rows'
    orpo_lambda: float = 0.1  # orpo: weight of the odds-ratio term (trl's ORPOConfig.beta)
    simpo_beta: float = 2.0  # simpo: reward scale (SimPO paper: 2.0-2.5)
    simpo_gamma: float = 1.0  # simpo: target reward margin (SimPO paper: 0.3-1.6)
    cpo_alpha: float = 0.0  # simpo: weight of the chosen answers' NLL (0 = pure SimPO)
    # training
    learning_rate: float = 5e-5
    epochs: float = 1.0
    max_steps: int = -1  # > 0 overrides epochs
    batch_size: int = 4
    grad_accum: int = 1
    max_length: int = 512
    # LoRA
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    qlora: bool = False  # 4-bit bitsandbytes base; CUDA only
    activation_checkpointing: bool = False
    # speed only: the same training, cheaper (see ``speed_plan``)
    precompute_ref: str = "auto"  # reference log-probs once, before training
    completion_logits_only: str = "auto"  # LM head on completion tokens only
    # bookkeeping
    save_steps: int = 50
    logging_steps: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("exclude_subcategories", "exclude_templates", "target_modules"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            else:
                object.__setattr__(self, name, tuple(value))
        problems = [
            f"{f.name} must be a finite number, got {getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if isinstance(getattr(self, f.name), float) and not math.isfinite(getattr(self, f.name))
        ]
        if problems:
            raise InputError("align settings: " + "; ".join(problems))
        if self.method not in methods.METHODS:
            problems.append(f"method must be one of {', '.join(methods.METHODS)}")
        if not 0.0 <= self.label_smoothing < 0.5:
            problems.append("label_smoothing must be in [0, 0.5)")
        for name in ("kto_desirable_weight", "kto_undesirable_weight", "orpo_lambda",
                     "simpo_beta"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be > 0")
        for name in ("simpo_gamma", "cpo_alpha"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0")
        if self.method == "kto" and self.batch_size < 2:
            problems.append("kto needs batch_size >= 2 (its KL estimate pairs rows of a batch)")
        if self.method in methods.METHODS and not methods.get(self.method).trainer == "dpo":
            for name in ("precompute_ref", "completion_logits_only"):
                if getattr(self, name) == "on":
                    problems.append(f"{name} applies to the DPO trainer's methods only")
        if self.rejected not in REJECTED_MODES:
            problems.append(f"rejected must be one of {', '.join(REJECTED_MODES)}")
        if not 0.0 < self.heldout_fraction < 1.0:
            problems.append("heldout_fraction must be between 0 and 1")
        for name in ("beta", "learning_rate", "lora_alpha"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be > 0")
        for name in ("batch_size", "grad_accum", "max_length", "lora_r", "save_steps"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1")
        if self.logging_steps < 1:
            problems.append("logging_steps must be >= 1")
        if self.epochs <= 0 and self.max_steps <= 0:
            problems.append("epochs must be > 0 (or set max_steps)")
        if not 0.0 <= self.lora_dropout < 1.0:
            problems.append("lora_dropout must be in [0, 1)")
        if self.train_sample < 0:
            problems.append("train_sample must be >= 0")
        for name in ("precompute_ref", "completion_logits_only"):
            if getattr(self, name) not in SWITCHES:
                problems.append(f"{name} must be one of {', '.join(SWITCHES)}")
        if not self.target_modules:
            problems.append("target_modules must name at least one module")
        if problems:
            raise InputError("align settings: " + "; ".join(problems))

    def to_dict(self) -> dict:
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }

    def key_dict(self) -> dict:
        """The settings that decide the trained weights (what a resume must match): the
        method's own hyperparameters, not those of other methods; a ``dpo`` run's key holds
        neither ``method`` nor any method-specific field but ``beta``, as before methods."""
        skip = KEY_EXEMPT | methods.unused(self.method)
        return {k: v for k, v in self.to_dict().items() if k not in skip}

    @property
    def method_info(self) -> methods.Method:
        return methods.get(self.method)

    @classmethod
    def from_mapping(cls, values: dict) -> DPOSettings:
        """Build from a dict (e.g. a profile's align section), ignoring ``target(s)``."""
        known = {f.name for f in dataclasses.fields(cls)}
        extra = sorted(set(values) - known - {"target", "targets"})
        if extra:
            raise InputError(f"align settings: unknown key {', '.join(extra)}")
        return cls(**{k: v for k, v in values.items() if k in known})

    def lora_config(self):
        """The peft ``LoraConfig`` for these settings."""
        from peft import LoraConfig

        return LoraConfig(
            r=self.lora_r,
            lora_alpha=self.lora_alpha,
            lora_dropout=self.lora_dropout,
            target_modules=list(self.target_modules),
            bias="none",
            task_type="CAUSAL_LM",
        )

    def speed_plan(self, device: str, n_pairs: int = 0) -> dict[str, bool]:
        """The speed switches resolved for ``device`` and ``n_pairs`` training pairs; each
        changes cost, not the training.

        - ``precompute_ref``: trl computes the reference log-probs (the base model, adapter
          disabled) in one no-grad pass before training, so no step runs the reference.
          That pass costs what the steps' reference forwards would in one epoch, so it
          saves only when the run sees its pairs more than once. ``auto``: on then. A
          resumed run recomputes the same values from the same base model.
        - ``completion_logits_only``: trl's fused LM head scores only the completion
          positions on CUDA/XPU with Triton but every position elsewhere; this restricts it
          to the completion tokens there too. ``auto``: on off CUDA/XPU, where trl does not.

        Both apply to the methods on trl's DPO trainer; the others run trl's own path.
        """
        if self.method_info.trainer != "dpo":  # the other trainers run trl's own path
            return {"precompute_ref": False, "completion_logits_only": False}
        accelerated = device.startswith(("cuda", "xpu"))
        if self.max_steps > 0:
            seen = self.max_steps * self.batch_size * self.grad_accum
        else:
            seen = self.epochs * n_pairs
        auto = {"precompute_ref": n_pairs > 0 and seen > n_pairs,
                "completion_logits_only": not accelerated}  # fmt: skip
        return {k: auto[k] if getattr(self, k) == "auto" else getattr(self, k) == "on" for k in auto}

    def dpo_config(self, output_dir: str, device: str, dtype: str, n_pairs: int = 0):
        """trl's ``DPOConfig`` with every risky default of trl 1.16 set explicitly, for the
        methods on the DPO trainer (``loss_type`` from the method)."""
        from trl import DPOConfig

        speed = self.speed_plan(device, n_pairs)
        method = self.method_info
        extra = {"label_smoothing": self.label_smoothing} if method.name == "robust" else {}
        return DPOConfig(
            **self.trainer_args(output_dir, device, dtype),
            beta=self.beta,
            loss_type=[method.loss_type if method.trainer == "dpo" else "sigmoid"],
            precompute_ref_log_probs=speed["precompute_ref"],
            **extra,
        )

    def trainer_args(self, output_dir: str, device: str, dtype: str) -> dict:
        """The arguments every trl trainer config gets (trl 1.16's risky defaults set)."""
        cuda = device.startswith("cuda")
        return dict(
            output_dir=output_dir,
            learning_rate=self.learning_rate,
            num_train_epochs=self.epochs,
            max_steps=self.max_steps if self.max_steps > 0 else -1,
            per_device_train_batch_size=self.batch_size,
            gradient_accumulation_steps=self.grad_accum,
            max_length=self.max_length,
            seed=self.seed,
            data_seed=self.seed,
            use_cpu=device == "cpu",
            bf16=cuda and dtype == "bfloat16",
            fp16=False,
            activation_checkpointing=self.activation_checkpointing,
            logging_strategy="steps",
            logging_steps=self.logging_steps,
            save_strategy="steps",
            save_steps=self.save_steps,
            save_total_limit=2,
            save_only_model=False,  # optimizer + RNG state: resume continues exactly
            eval_strategy="no",
            report_to="none",
            disable_tqdm=True,
            log_level="passive",  # keep the caller's transformers verbosity
            dataloader_num_workers=0,
            dataloader_pin_memory=cuda,
        )

    def trl_config(self, output_dir: str, device: str, dtype: str, n_pairs: int = 0):
        """The config of the method's trl trainer (``DPOConfig``, ``KTOConfig``, ...)."""
        from auditor.align import trainers

        return trainers.config(self.method_info, self, output_dir, device, dtype, n_pairs)
