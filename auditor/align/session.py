"""One alignment session with trl: build the method's trainer, resume, train, publish the
adapter."""

from __future__ import annotations

import warnings
from contextlib import contextmanager

from auditor.align import trl_args
from auditor.align.lm_head import completion_logits_only
from auditor.align.run_folder import RunFolder, seal
from auditor.align.settings import AlignSettings
from auditor.core.errors import InputError
from auditor.core.events import Cancelled, CancelToken, Message, Reporter
from auditor.models import distributed


@contextmanager
def quiet_progress():
    """No tqdm bars from datasets / transformers / trl (tokenizing, the reference
    precompute, loading, saving) meanwhile, nor transformers 5's deprecation notice that
    peft triggers on every save."""
    import os

    from datasets.utils import logging as ds_logging
    from transformers.utils import logging as tf_logging

    was = ds_logging.is_progress_bar_enabled(), tf_logging.is_progress_bar_enabled()
    tqdm_was = os.environ.get("TQDM_DISABLE")
    ds_logging.disable_progress_bar()
    tf_logging.disable_progress_bar()
    os.environ["TQDM_DISABLE"] = "1"  # trl's precompute bar reads it
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", ".*is_gradient_checkpointing.*", FutureWarning)
            yield
    finally:
        if tqdm_was is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = tqdm_was
        if was[0]:
            ds_logging.enable_progress_bar()
        if was[1]:
            tf_logging.enable_progress_bar()


def build_trainer(loaded, dataset, settings: AlignSettings, output_dir: str, callbacks=()):
    """The method's trl trainer on ``loaded`` with a fresh LoRA, built from its entry in
    ``auditor.align.trainers.TRAINERS``; a trainer that takes a reference model gets the
    adapter disabled as one.

    On the DPO trainer's methods: with ``precompute_ref`` the reference log-probs are
    computed here, over the dataset; with ``completion_logits_only`` that pass and every
    training step score only the completion tokens; with ``shared_prompt`` the trainer
    computes each prompt of a batch once (``auditor.align.shared_prompt``).
    """
    from transformers import PrinterCallback, ProgressCallback, set_seed

    from auditor.align import trainers

    kind = trainers.of(settings.method_info)
    size = distributed.world().size  # under a launcher: the same global batch, split over ranks
    prompts = trainers.shared_prompts(loaded.model, dataset, settings)
    args = kind.config(settings, output_dir, loaded.device, loaded.dtype, len(dataset), prompts)
    args.per_device_train_batch_size, args.gradient_accumulation_steps = (
        distributed.per_device_batch(settings.batch_size, settings.grad_accum, size)
    )
    args.ddp_find_unused_parameters = False  # LoRA: every trained weight is used each step
    set_seed(settings.training_seed)  # the fresh LoRA's initialisation (trl adds it first)
    speed = settings.speed_plan(loaded.device, len(dataset), prompts)
    if speed["precompute_ref"] and len(dataset):
        # trl would precompute over an empty dataset and fail inside torch: say why first
        lengths = (len(ids) for ids in loaded.tokenizer(list(dataset["prompt"]))["input_ids"])
        if min(lengths) >= settings.max_length:
            raise InputError(too_short(settings))
    trainer_class = kind.trainer_class(loaded.model, settings)
    reference = {"ref_model": None} if kind.takes_ref_model else {}
    with (
        quiet_progress(),
        completion_logits_only(speed["completion_logits_only"]),
        trl_args._experimental(),
    ):
        trainer = trainer_class(
            model=loaded.model,
            args=args,
            train_dataset=dataset,
            processing_class=loaded.tokenizer,
            peft_config=trl_args.lora_config(settings),
            callbacks=list(callbacks),
            **reference,
        )
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    if speed["completion_logits_only"]:
        trainer.compute_loss = _in_completion_only(trainer.compute_loss)
    return trainer


def _in_completion_only(compute_loss):
    """``compute_loss`` run with the LM head on completion tokens only."""

    def wrapped(*args, **kwargs):
        with completion_logits_only():
            return compute_loss(*args, **kwargs)

    return wrapped


def too_short(settings: AlignSettings) -> str:
    return f"max_length {settings.max_length} is shorter than every prompt; raise --max-length"


def check_lengths(trainer, n_pairs: int, settings: AlignSettings, report: Reporter) -> int:
    """Pairs trl kept: those whose prompt alone fills ``max_length`` are dropped (say so)."""
    from auditor.align import trainers

    used = trainers.pairs_used(settings.method_info, trainer)
    if used == 0:
        raise InputError(too_short(settings))
    if used < n_pairs:
        report(
            Message(
                f"{n_pairs - used} of {n_pairs} pairs dropped: prompt longer than max_length "
                f"{settings.max_length}; raise --max-length to keep them",
                level="warning",
            )
        )
    return used


def train_adapter(
    loaded,
    data,
    settings: AlignSettings,
    folder: RunFolder,
    *,
    store,
    run_id: str,
    report: Reporter,
    cancel: CancelToken | None,
) -> dict:
    """Train (resuming from the last complete checkpoint), publish the adapter, return metrics.

    Raises ``Cancelled`` after saving a checkpoint when ``cancel`` is set mid-training.
    """
    from auditor.align import trainers
    from auditor.align.callback import EventCallback

    here = distributed.world()  # under a launcher only rank 0 holds ``store``
    method = settings.method_info
    dataset = distributed.shared_dataset(
        trainers.dataset(method, data.pairs, loaded.tokenizer, settings),
        folder.checkpoints / "pairs",
        here,
    )
    if len(dataset) == 0:
        raise InputError(too_short(settings))

    def resume_point():
        seals = dict(store.run(run_id).record.get("seals") or {})
        resume = folder.last_checkpoint(seals)
        step0 = int(resume.name.split("-")[1]) if resume else 0
        tokens = (
            next(
                (
                    row.get("num_tokens", 0.0)
                    for row in store.train_log(run_id)
                    if row["step"] == step0
                ),
                0.0,
            )
            if resume
            else 0.0
        )
        return seals, resume, tokens

    seals, resume, tokens = distributed.lead(here, resume_point)

    def sealed(name: str) -> None:
        distributed.barrier(here)  # every rank has written its part of the checkpoint
        if here.is_main:
            seals[name] = seal(folder.checkpoints / name)
            store.update_run(run_id, record={"seals": seals})

    callback = EventCallback(
        report,
        (lambda step, m: store.log_train(run_id, step, m)) if here.is_main else None,
        cancel,
        on_checkpoint=sealed,
        tokens_before=tokens,
        method=method.name,
        agree=(lambda stop: distributed.broadcast(stop, here)) if here.parallel else None,
    )
    prompts = trainers.shared_prompts(loaded.model, dataset, settings)
    if settings.speed_plan(loaded.device, len(dataset), prompts)["precompute_ref"]:
        of = f"{len(dataset)} pairs" + (f" ({prompts} prompts)" if prompts else "")
        report(Message(f"reference log-probabilities of {of}, computed once"))
    trainer = build_trainer(loaded, dataset, settings, str(folder.checkpoints), [callback])
    used = check_lengths(trainer, len(data.pairs), settings, report)
    if hasattr(trainer, "shared_prompt"):
        report(
            Message(
                "shared prompt: each batch's rows run as one prefix tree, each shared "
                "prompt computed once"
            )
        )
    steps = trainer.args.max_steps if trainer.args.max_steps > 0 else None
    report(
        Message(
            f"{method.name.upper()} on {len(data.pairs)} pairs from {len(data.train)} items"
            + (f", {steps} steps" if steps else f", {settings.epochs:g} epoch(s)")
            + (f"; resuming from {resume.name}" if resume else "")
        )
    )
    with quiet_progress():
        trainer.train(resume_from_checkpoint=str(resume) if resume else None)
        if callback.cancelled:
            raise Cancelled(
                f"alignment cancelled at step {trainer.state.global_step}; rerun to resume"
            )
        folder.publish(folder.adapter, lambda tmp: trainer.save_model(str(tmp)), here)
    metrics = {k: v for k, v in callback.last.items() if k != "epoch"}
    metrics.update(callback.summary)
    metrics["pairs_used"] = used
    metrics["global_step"] = trainer.state.global_step
    metrics["session_steps"] = trainer.state.global_step - callback._step0  # train_runtime's
    metrics["max_steps"] = trainer.state.max_steps
    metrics["epoch"] = float(trainer.state.epoch or 0.0)
    return metrics
