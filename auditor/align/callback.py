"""A transformers TrainerCallback that turns trainer logs into TrainStep events.

Each logging step goes to the reporter as a ``TrainStep`` and to the store through
``log_train``; the cancel token is polled at every step end, and when set the trainer
saves a checkpoint and stops (the engine then raises ``Cancelled``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from transformers import TrainerCallback

from auditor.core.errors import TrainingDiverged
from auditor.core.events import CancelToken, Reporter, TrainStep, null_reporter

SUMMARY_KEYS = ("train_runtime", "train_loss", "train_samples_per_second", "train_steps_per_second")


def _numbers(logs: dict) -> dict[str, float]:
    out = {}
    for key, value in logs.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            continue
        out[key] = float(value)
    return out


class EventCallback(TrainerCallback):
    """Reports training progress as events, stores each log, and obeys a cancel token.

    ``log_train(step, metrics)`` persists a log row; ``on_checkpoint(name)`` hears each
    saved checkpoint (to seal it); ``summary`` holds the trainer's
    end-of-training figures (train_loss, train_runtime, ...); ``cancelled`` says whether
    the token stopped training.
    """

    def __init__(
        self,
        reporter: Reporter | None = None,
        log_train: Callable[[int, dict[str, float]], None] | None = None,
        cancel: CancelToken | None = None,
        on_checkpoint: Callable[[str], None] | None = None,
        tokens_before: float = 0.0,
        agree: Callable[[bool], bool] | None = None,
        method: str = "dpo",
    ):
        self.agree = agree  # under a launcher: rank 0's stop decision, on every rank
        self.method = method  # the alignment method, carried by each TrainStep
        self.on_checkpoint = on_checkpoint
        self.tokens_before = tokens_before  # num_tokens at the checkpoint resumed from
        self.reporter = reporter or null_reporter
        self.log_train = log_train
        self.cancel = cancel
        self.cancelled = False
        self.summary: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self._t0 = 0.0
        self._step0 = 0

    def on_train_begin(self, args, state, control, **kwargs):
        self._t0 = time.monotonic()
        self._step0 = state.global_step  # > 0 when resuming

    def on_step_end(self, args, state, control, **kwargs):
        stop = self.cancel is not None and self.cancel.is_set()
        if self.agree is not None:
            stop = self.agree(stop)
        if stop:
            self.cancelled = True
            control.should_save = True
            control.should_training_stop = True
        return control

    def on_save(self, args, state, control, **kwargs):
        if self.on_checkpoint is not None:
            self.on_checkpoint(f"checkpoint-{state.global_step}")
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        for key in ("loss", "grad_norm"):
            value = (logs or {}).get(key)
            if isinstance(value, float) and not math.isfinite(value):
                raise TrainingDiverged(
                    f"training diverged at step {state.global_step}: {key} is {value}; "
                    f"lower align.learning_rate{_hint(self.method)} and rerun"
                )
        metrics = _numbers(logs or {})
        if any(key in metrics for key in SUMMARY_KEYS):
            self.summary.update(metrics)
            return
        if "loss" not in metrics:
            return
        step = state.global_step
        if "num_tokens" in metrics:  # trl counts from 0 in each process: continue the count
            metrics["num_tokens"] += self.tokens_before
        self.last = metrics
        if self.log_train is not None:
            self.log_train(step, metrics)
        self.reporter(
            TrainStep(
                step=step,
                total_steps=state.max_steps,
                epoch=float(state.epoch or 0.0),
                metrics=metrics,
                eta_s=self._eta(step, state.max_steps),
                method=self.method,
            )
        )

    def _eta(self, step: int, total: int) -> float | None:
        done = step - self._step0
        if done <= 0 or total <= 0:
            return None
        per_step = (time.monotonic() - self._t0) / done
        return max(0.0, (total - step) * per_step)


def _hint(method: str) -> str:
    """The method's own strength setting, named in the divergence message."""
    from auditor.align.methods import METHODS

    params = METHODS[method].params if method in METHODS else ()
    return f" or align.{params[0]}" if params else ""
