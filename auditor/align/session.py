"""One DPO training session with trl: build the trainer, resume, train, publish the adapter."""

from __future__ import annotations

import warnings
from contextlib import contextmanager

from auditor.align.run_folder import RunFolder, seal
from auditor.align.settings import AlignSettings
from auditor.align.trl_args import dpo_config, lora_config
from auditor.core.errors import InputError
from auditor.core.events import Cancelled, CancelToken, Message, Reporter


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


@contextmanager
def completion_logits_only(enabled: bool = True):
    """Meanwhile, trl's fused LM head scores only the completion tokens on every device.

    trl 1.16 projects through the LM head only the positions with a label (the completion)
    when Triton runs on CUDA/XPU, and every position elsewhere, the prompt included, then
    discards the prompt's log-probs. The choice is ``trl.trainer.utils._use_triton``;
    answering True there feeds the same kernel the completion positions only (its torch
    path takes any number of rows). A trl without that hook keeps its own behaviour.
    """
    from trl.trainer import utils as trl_utils

    original = getattr(trl_utils, "_use_triton", None)
    if not enabled or original is None:
        yield
        return
    trl_utils._use_triton = lambda device: True
    try:
        yield
    finally:
        trl_utils._use_triton = original


def build_trainer(loaded, dataset, settings: AlignSettings, output_dir: str, callbacks=()):
    """trl's DPOTrainer on ``loaded`` with a fresh LoRA; reference = the adapter disabled.

    With ``precompute_ref`` the reference log-probs are computed here, over the dataset;
    with ``completion_logits_only`` that pass and every training step score only the
    completion tokens.
    """
    from transformers import PrinterCallback, ProgressCallback
    from trl import DPOTrainer

    args = dpo_config(settings, output_dir, loaded.device, loaded.dtype, len(dataset))
    speed = settings.speed_plan(loaded.device, len(dataset))
    if speed["precompute_ref"] and len(dataset):
        # trl would precompute over an empty dataset and fail inside torch: say why first
        lengths = (len(ids) for ids in loaded.tokenizer(list(dataset["prompt"]))["input_ids"])
        if min(lengths) >= settings.max_length:
            raise InputError(too_short(settings))
    with quiet_progress(), completion_logits_only(speed["completion_logits_only"]):
        trainer = DPOTrainer(
            model=loaded.model,
            ref_model=None,
            args=args,
            train_dataset=dataset,
            processing_class=loaded.tokenizer,
            peft_config=lora_config(settings),
            callbacks=list(callbacks),
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
    """Pairs trl kept: it drops those whose prompt alone fills ``max_length`` (say so)."""
    used = len(trainer.train_dataset)
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
    from auditor.align.callback import EventCallback
    from auditor.align.preferences import to_dataset

    dataset = to_dataset(data.pairs, loaded.tokenizer)
    seals = dict(store.run(run_id).record.get("seals") or {})
    resume = folder.last_checkpoint(seals)
    step0 = int(resume.name.split("-")[1]) if resume else 0
    tokens = next((row.get("num_tokens", 0.0) for row in store.train_log(run_id)
                   if row["step"] == step0), 0.0) if resume else 0.0

    def sealed(name: str) -> None:
        seals[name] = seal(folder.checkpoints / name)
        store.update_run(run_id, record={"seals": seals})

    callback = EventCallback(report, lambda step, m: store.log_train(run_id, step, m), cancel,
                             on_checkpoint=sealed, tokens_before=tokens)
    if settings.speed_plan(loaded.device, len(dataset))["precompute_ref"]:
        report(Message(f"reference log-probabilities of {len(dataset)} pairs, computed once"))
    trainer = build_trainer(loaded, dataset, settings, str(folder.checkpoints), [callback])
    used = check_lengths(trainer, len(dataset), settings, report)
    steps = trainer.args.max_steps if trainer.args.max_steps > 0 else None
    report(
        Message(
            f"DPO on {len(data.pairs)} pairs from {len(data.train)} items"
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
        folder.publish(folder.adapter, lambda tmp: trainer.save_model(str(tmp)))
    metrics = {k: v for k, v in callback.last.items() if k != "epoch"}
    metrics.update(callback.summary)
    metrics["pairs_used"] = used
    metrics["global_step"] = trainer.state.global_step
    metrics["max_steps"] = trainer.state.max_steps
    metrics["epoch"] = float(trainer.state.epoch or 0.0)
    return metrics
