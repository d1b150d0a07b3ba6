"""One DPO training session with trl: build the trainer, resume, train, publish the adapter."""

from __future__ import annotations

import warnings
from contextlib import contextmanager

from .checkpoints import RunFolder, seal
from .dpo_settings import DPOSettings
from .errors import InputError
from .events import Cancelled, CancelToken, Message, Reporter


@contextmanager
def quiet_progress():
    """No tqdm bars from datasets / transformers (tokenizing, loading, saving) meanwhile,
    nor transformers 5's deprecation notice that peft triggers on every save."""
    from datasets.utils import logging as ds_logging
    from transformers.utils import logging as tf_logging

    was = ds_logging.is_progress_bar_enabled(), tf_logging.is_progress_bar_enabled()
    ds_logging.disable_progress_bar()
    tf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", ".*is_gradient_checkpointing.*", FutureWarning)
            yield
    finally:
        if was[0]:
            ds_logging.enable_progress_bar()
        if was[1]:
            tf_logging.enable_progress_bar()


def build_trainer(loaded, dataset, settings: DPOSettings, output_dir: str, callbacks=()):
    """trl's DPOTrainer on ``loaded`` with a fresh LoRA; reference = the adapter disabled."""
    from transformers import PrinterCallback, ProgressCallback
    from trl import DPOTrainer

    args = settings.dpo_config(output_dir, loaded.device, loaded.dtype)
    with quiet_progress():
        trainer = DPOTrainer(
            model=loaded.model,
            ref_model=None,
            args=args,
            train_dataset=dataset,
            processing_class=loaded.tokenizer,
            peft_config=settings.lora_config(),
            callbacks=list(callbacks),
        )
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    return trainer


def check_lengths(trainer, n_pairs: int, settings: DPOSettings, report: Reporter) -> int:
    """Pairs trl kept: it drops those whose prompt alone fills ``max_length`` (say so)."""
    used = len(trainer.train_dataset)
    if used == 0:
        raise InputError(
            f"max_length {settings.max_length} is shorter than every prompt; raise --max-length"
        )
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
    settings: DPOSettings,
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
    from .preferences import to_dataset
    from .training_events import EventCallback

    dataset = to_dataset(data.pairs, loaded.tokenizer)
    seals = dict((store.run(run_id).get("record") or {}).get("seals") or {})
    resume = folder.last_checkpoint(seals)
    step0 = int(resume.name.split("-")[1]) if resume else 0
    tokens = next((row.get("num_tokens", 0.0) for row in store.train_log(run_id)
                   if row["step"] == step0), 0.0) if resume else 0.0

    def sealed(name: str) -> None:
        seals[name] = seal(folder.checkpoints / name)
        store.update_run(run_id, record={"seals": seals})

    callback = EventCallback(report, lambda step, m: store.log_train(run_id, step, m), cancel,
                             on_checkpoint=sealed, tokens_before=tokens)
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
