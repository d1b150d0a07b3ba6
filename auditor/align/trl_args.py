"""The alignment settings translated into peft's ``LoraConfig`` and each trl trainer's
config (``DPOConfig``, ``KTOConfig``, ...); the registry ``auditor.align.trainers.TRAINERS``
says which config a method's trainer takes."""

from __future__ import annotations

from typing import Any

from auditor.align.settings import AlignSettings


def lora_config(settings: AlignSettings):
    """The peft ``LoraConfig`` for these settings."""
    from peft import LoraConfig

    return LoraConfig(
        r=settings.lora_r,
        lora_alpha=settings.lora_alpha,
        lora_dropout=settings.lora_dropout,
        target_modules=list(settings.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )


def dpo_config(
    settings: AlignSettings,
    output_dir: str,
    device: str,
    dtype: str,
    n_pairs: int = 0,
    prompts: int = 0,
):
    """trl's ``DPOConfig`` with every risky default of trl 1.16 set explicitly, for the
    methods on the DPO trainer (``loss_type`` from the method). Under shared prompts
    (``prompts`` > 0) the reference pass takes at least ``REF_PASS_PAIRS`` pairs a batch."""
    from trl import DPOConfig

    from auditor.align.shared_prompt import REF_PASS_PAIRS

    speed = settings.speed_plan(device, n_pairs, prompts)
    method = settings.method_info
    extra: dict[str, Any] = (
        {"label_smoothing": settings.label_smoothing} if "label_smoothing" in method.params else {}
    )
    return DPOConfig(
        **trainer_args(settings, output_dir, device, dtype),
        beta=settings.beta,
        loss_type=[method.loss_type],
        precompute_ref_log_probs=speed["precompute_ref"],
        precompute_ref_batch_size=max(settings.batch_size, REF_PASS_PAIRS) if prompts else None,
        **extra,
    )


def trainer_args(settings: AlignSettings, output_dir: str, device: str, dtype: str) -> dict:
    """The arguments every trl trainer config gets (trl 1.16's risky defaults set)."""
    cuda = device.startswith("cuda")
    return dict(
        output_dir=output_dir,
        learning_rate=settings.learning_rate,
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps if settings.max_steps > 0 else -1,
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accum,
        max_length=settings.max_length,
        seed=settings.training_seed,
        data_seed=settings.training_seed,
        use_cpu=device == "cpu",
        bf16=cuda and dtype == "bfloat16",
        fp16=False,
        activation_checkpointing=settings.activation_checkpointing,
        logging_strategy="steps",
        logging_steps=settings.logging_steps,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=None if settings.trajectory else 2,  # a trajectory keeps them all
        save_only_model=False,  # optimizer + RNG state: resume continues exactly
        eval_strategy="no",
        report_to="none",
        disable_tqdm=True,
        log_level="passive",  # keep the caller's transformers verbosity
        dataloader_num_workers=0,
        dataloader_pin_memory=cuda,
    )


def kto_config(
    settings: AlignSettings,
    output_dir: str,
    device: str,
    dtype: str,
    n_pairs: int = 0,
    prompts: int = 0,
):
    """trl's ``KTOConfig``: chosen answers desirable, rejected ones undesirable."""
    from trl import KTOConfig

    return KTOConfig(**trainer_args(settings, output_dir, device, dtype), beta=settings.beta,
                     loss_type=settings.method_info.loss_type,
                     desirable_weight=settings.kto_desirable_weight,
                     undesirable_weight=settings.kto_undesirable_weight,
                     precompute_ref_log_probs=False)  # fmt: skip


def orpo_config(
    settings: AlignSettings,
    output_dir: str,
    device: str,
    dtype: str,
    n_pairs: int = 0,
    prompts: int = 0,
):
    """``trl.experimental``'s ``ORPOConfig`` (``beta`` is ORPO's lambda)."""
    with _experimental():
        from trl.experimental.orpo import ORPOConfig

        return ORPOConfig(
            **trainer_args(settings, output_dir, device, dtype),
            beta=settings.orpo_lambda,
            remove_unused_columns=False,
        )


def cpo_config(
    settings: AlignSettings,
    output_dir: str,
    device: str,
    dtype: str,
    n_pairs: int = 0,
    prompts: int = 0,
):
    """``trl.experimental``'s ``CPOConfig`` with the method's loss (SimPO's)."""
    with _experimental():
        from trl.experimental.cpo import CPOConfig

        return CPOConfig(**trainer_args(settings, output_dir, device, dtype),
                         loss_type=settings.method_info.loss_type, beta=settings.simpo_beta,
                         simpo_gamma=settings.simpo_gamma, cpo_alpha=settings.cpo_alpha,
                         label_smoothing=0.0, remove_unused_columns=False)  # fmt: skip


class _experimental:
    """Import from ``trl.experimental`` without its notice (the modules are pinned with trl)."""

    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.filterwarnings("ignore", message=".*trl.experimental.*")
        return self

    def __exit__(self, *exc):
        return self._catch.__exit__(*exc)
