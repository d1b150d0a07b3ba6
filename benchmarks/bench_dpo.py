"""DPO training speed and memory: seconds per step and peak RSS on SmolLM2-135M.

    .venv/bin/python benchmarks/bench_dpo.py [--steps 5] [--batch-size 2] [--model M]

Trains a LoRA with trl's DPOTrainer (reference = adapter disabled) on preference pairs
from BBQ-lite Gender_identity, exactly as ``spillover align`` does, and prints the
seconds per optimizer step (first step apart: it warms up), tokens per step, and the
process's peak resident memory before and after training. Not a test: timings depend
on the machine.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: avoids CPU stalls

import argparse  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from transformers import TrainerCallback  # noqa: E402

BBQ_LITE = Path(__file__).resolve().parents[2] / "shared" / "bbq" / "lite"


def peak_rss_mib() -> float:
    """Peak resident set size of this process (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


class StepClock(TrainerCallback):
    """Wall time of each optimizer step."""

    def __init__(self):
        self.times: list[float] = []
        self._t = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        self._t = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.times.append(time.perf_counter() - self._t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--bbq", default=os.environ.get("SPILLOVER_BBQ", str(BBQ_LITE)))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=2, help="pairs per step")
    parser.add_argument("--max-length", type=int, default=320)
    parser.add_argument("--lora-r", type=int, default=16)
    args = parser.parse_args()

    from transformers.utils import logging as hf_logging

    from auditor.bbq import load_bbq
    from auditor.dpo_run import build_trainer, quiet_progress
    from auditor.dpo_settings import DPOSettings
    from auditor.models import ModelSpec, load_model
    from auditor.preferences import build_pairs, to_dataset
    from auditor.prompts import PromptBuilder

    hf_logging.set_verbosity_error()
    items = [i for i in load_bbq(args.bbq, ["Gender_identity"]).items if i.roles][:64]
    start = time.perf_counter()
    with quiet_progress():
        loaded = load_model(ModelSpec(args.model, device=args.device), for_training=True)
    load_s = time.perf_counter() - start
    rss_loaded = peak_rss_mib()
    builder = PromptBuilder(loaded.tokenizer)
    pairs = build_pairs(items, builder)[: args.steps * args.batch_size]
    settings = DPOSettings(batch_size=args.batch_size, max_steps=args.steps,
                           max_length=args.max_length, lora_r=args.lora_r,
                           lora_alpha=2 * args.lora_r, save_steps=10_000)  # fmt: skip
    clock = StepClock()
    with tempfile.TemporaryDirectory() as out, quiet_progress():
        trainer = build_trainer(loaded, to_dataset(pairs, loaded.tokenizer), settings, out, [clock])
        n_tokens = (
            sum(
                len(r["prompt_ids"]) * 2 + len(r["chosen_ids"]) + len(r["rejected_ids"])
                for r in trainer.train_dataset
            )
            / len(trainer.train_dataset)
            * args.batch_size
        )
        trainer.train()
    times = clock.times
    steady = times[1:] or times
    per_step = sum(steady) / len(steady)
    params = sum(p.numel() for p in loaded.model.parameters())
    print(
        f"model {args.model} ({params / 1e6:.1f} M params) on {loaded.device}, "
        f"{os.cpu_count()} CPUs, torch threads {__import__('torch').get_num_threads()}"
    )
    print(
        f"load {load_s:.1f} s; {args.steps} steps x {args.batch_size} pairs "
        f"(~{n_tokens:.0f} tokens per step incl. chosen+rejected)"
    )
    print(
        f"first step {times[0]:.2f} s; then {per_step:.2f} s/step "
        f"({args.batch_size / per_step:.2f} pairs/s, {n_tokens / per_step:.0f} tokens/s)"
    )
    print(
        f"peak RSS: {rss_loaded:.0f} MiB after loading, {peak_rss_mib():.0f} MiB after "
        f"training (+{peak_rss_mib() - rss_loaded:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
