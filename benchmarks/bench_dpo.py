"""DPO cost, trl's defaults vs spillover's settings: the same training, side by side.

    .venv/bin/python benchmarks/bench_dpo.py [--steps 6] [--rounds 2] [--each] [--model M]

Trains the same LoRA (same pairs from BBQ-lite Gender_identity, same seed, same number
of steps, same hyperparameters) three times, each in its own child process so that each
reports its own peak memory, one after the other:

- ``trl defaults``: trl's DPOConfig left at its defaults for everything that is not a
  hyperparameter of the run (activation checkpointing on, the reference model run in
  every step, max_length 1024, the LM head over every position off CUDA);
- ``spillover``: ``AlignSettings`` as ``spillover align`` uses them (``speed_plan``) on
  trl's own forward (``shared_prompt = off``);
- ``shared prompt``: the same with ``shared_prompt = on`` (``auditor.align.shared_prompt``:
  a batch's rows run as one prefix tree, each shared prompt computed once), which also
  prints the tokens it computed against those of trl's padded rows.

It prints the median seconds per step (each run's first step apart: it warms up), on
the clock and in CPU time (what other load on a shared machine inflates least), the
whole run including the time before step 1 (where spillover precomputes the reference
log-probs), peak memory, and the largest per-step difference of the two loss curves,
which must stay within the stated tolerance: the speed-ups change cost, not the
training. ``--rounds N`` interleaves N runs of each; ``--each`` adds spillover runs with
one switch off to show what each saves. Not a test: timings depend on the machine; the
ratios are what to read.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: avoids CPU stalls

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

BBQ_LITE = Path(__file__).resolve().parents[2] / "shared" / "bbq" / "lite"
LOSS_TOLERANCE = 1e-3
"""Largest allowed per-step loss difference: float32 rounding (a matmul over fewer rows,
activations recomputed or not) and its drift over the steps, no more."""
MODES = ("trl", "spillover", "shared")
SWITCHES = ("precompute_ref", "completion_logits_only")


def peak_rss_mib() -> float:
    """Peak resident set size of this process (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def trl_defaults_config(settings, output_dir: str, device: str):
    """trl's DPOConfig with only the run's hyperparameters set (and what the device needs)."""
    from trl import DPOConfig

    return DPOConfig(
        output_dir=output_dir,
        beta=settings.beta,
        learning_rate=settings.learning_rate,
        max_steps=settings.max_steps,
        per_device_train_batch_size=settings.batch_size,
        seed=settings.seed,
        data_seed=settings.seed,
        use_cpu=device == "cpu",
        bf16=device.startswith("cuda"),
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
    )


def child(args) -> dict:
    """Train once in ``args.mode``; the numbers as a dict."""
    import torch
    from transformers import PrinterCallback, ProgressCallback, TrainerCallback
    from transformers.utils import logging as hf_logging
    from trl import DPOTrainer

    from auditor.align.preferences import build_pairs, to_dataset
    from auditor.align.session import build_trainer, quiet_progress
    from auditor.align.settings import AlignSettings
    from auditor.align.trainers import shared_prompts
    from auditor.align.trl_args import lora_config
    from auditor.bbq import load_bbq
    from auditor.evaluation.prompts import PromptBuilder
    from auditor.models.loading import ModelSpec, load_model

    class StepClock(TrainerCallback):
        def __init__(self):
            self.times, self.cpu, self.losses, self._t, self._c = [], [], [], 0.0, 0.0

        def on_step_begin(self, args, state, control, **kwargs):
            self._t, self._c = time.perf_counter(), time.process_time()

        def on_step_end(self, args, state, control, **kwargs):
            self.times.append(time.perf_counter() - self._t)
            self.cpu.append(time.process_time() - self._c)

        def watch(self, compute_loss):
            """Record each step's exact loss (the logged one is rounded to 4 decimals)."""

            def wrapped(*a, **k):
                out = compute_loss(*a, **k)
                self.losses.append(float((out[0] if isinstance(out, tuple) else out).detach()))
                return out

            return wrapped

    hf_logging.set_verbosity_error()
    items = [i for i in load_bbq(args.bbq, ["Gender_identity"]).items if i.roles]
    with quiet_progress():
        loaded = load_model(ModelSpec(args.model, device=args.device), for_training=True)
    loaded.model.train()
    rss_loaded = peak_rss_mib()
    n_pairs = args.pairs or args.steps * args.batch_size
    pairs = build_pairs(items[:n_pairs], PromptBuilder(loaded.tokenizer))[:n_pairs]
    settings = AlignSettings(batch_size=args.batch_size, max_steps=args.steps,
                           max_length=args.max_length, lora_r=args.lora_r,
                           lora_alpha=2 * args.lora_r, learning_rate=1e-4,
                           save_steps=10_000)  # fmt: skip
    dataset = to_dataset(pairs, loaded.tokenizer)
    settings = dataclasses.replace(settings, shared_prompt="on" if args.mode == "shared" else "off")
    prompts = shared_prompts(loaded.model, dataset, settings)  # as build_trainer weighs them
    plan = settings.speed_plan(loaded.device, len(dataset), prompts)
    flipped = {name: "off" if plan[name] else "on" for name in args.flip}
    settings = dataclasses.replace(settings, **flipped)
    clock = StepClock()
    cuda = loaded.device.startswith("cuda")
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    with tempfile.TemporaryDirectory() as out, quiet_progress():
        start, start_cpu = time.perf_counter(), time.process_time()
        if args.mode == "trl":
            trainer = DPOTrainer(model=loaded.model, ref_model=None,
                                 args=trl_defaults_config(settings, out, loaded.device),
                                 train_dataset=dataset, processing_class=loaded.tokenizer,
                                 peft_config=lora_config(settings), callbacks=[clock])  # fmt: skip
            trainer.remove_callback(PrinterCallback)
            trainer.remove_callback(ProgressCallback)
        else:
            trainer = build_trainer(loaded, dataset, settings, out, [clock])
        setup_s, setup_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        trainer.compute_loss = clock.watch(trainer.compute_loss)
        trainer.train()
    hook = getattr(loaded.model.get_base_model() if hasattr(loaded.model, "get_base_model")
                   else loaded.model, "_spillover_shared_prompt", None)  # fmt: skip
    memory = torch.cuda.max_memory_allocated() / (1 << 20) if cuda else peak_rss_mib()
    return {
        "mode": args.mode,
        "setup_s": setup_s,
        "step_s": clock.times,
        "setup_cpu": setup_cpu,
        "step_cpu": clock.cpu,
        "loss": clock.losses,
        "peak_mib": memory,
        "training_mib": memory if cuda else memory - rss_loaded,
        "memory_kind": "peak CUDA allocated" if cuda else "peak RSS",
        "params_m": sum(p.numel() for p in loaded.model.parameters()) / 1e6,
        "device": loaded.device,
        "threads": torch.get_num_threads(),
        "args": trainer.args.to_dict(),
        "speed_plan": settings.speed_plan(loaded.device, len(dataset), prompts),
        "pairs": len(dataset),
        "tokens": [hook.tokens, hook.rows_tokens] if hook else None,
    }


def run_child(mode: str, argv: list[str], flip: str | None = None) -> dict:
    cmd = [sys.executable, __file__, *argv, "--mode", mode, *(["--flip", flip] if flip else [])]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"error: the {mode} run failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def steady(times: list[float]) -> float:
    """Median seconds of a step, the first (warm-up) step of each run left out."""
    import statistics

    return statistics.median(times)


def pooled(runs: list[dict], key: str) -> list[float]:
    return [t for run in runs for t in (run[key][1:] or run[key])]


def total(run: dict, kind: str = "s") -> float:
    return run[f"setup_{'s' if kind == 's' else 'cpu'}"] + sum(run[f"step_{kind}"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--bbq", default=os.environ.get("SPILLOVER_BBQ", str(BBQ_LITE)))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=4, help="pairs per step")
    parser.add_argument("--max-length", type=int, default=320)
    parser.add_argument("--lora-r", type=int, default=8)
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="runs of each, interleaved (a shared machine's noise hits both)",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=0,
        help="pairs to train on (default steps x batch size: one pass)",
    )
    parser.add_argument(
        "--each",
        action="store_true",
        help="also run spillover with each speed switch flipped, one at a time",
    )
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument(
        "--flip", action="append", default=[], choices=SWITCHES, help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(child(args)))
        return
    argv = [a for a in sys.argv[1:] if a != "--each"]
    variants = [("trl", None), ("spillover", None), ("shared", None)]
    variants += [("spillover", name) for name in SWITCHES] if args.each else []
    runs: dict[tuple, list[dict]] = {v: [] for v in variants}
    for r in range(args.rounds):
        for variant in variants if r % 2 == 0 else variants[::-1]:
            runs[variant].append(run_child(variant[0], argv, variant[1]))
    trl, ours, shared = runs[("trl", None)], runs[("spillover", None)], runs[("shared", None)]
    first = ours[0]
    print(
        f"model {args.model} ({first['params_m']:.1f} M params) on {first['device']}, "
        f"{os.cpu_count()} CPUs, torch threads {first['threads']}; {args.steps} steps x "
        f"{args.batch_size} pairs on {first['pairs']} pairs, same pairs, seed and "
        f"hyperparameters; {args.rounds} "
        "interleaved run(s) of each; wall = seconds on the clock, cpu = this process's CPU "
        "seconds (what a shared machine's load does not inflate)"
    )
    keys = ("activation_checkpointing", "precompute_ref_log_probs", "max_length")
    head = "completion_logits_only"
    for (mode, off), group in runs.items():
        name = {"trl": "trl defaults", "spillover": "spillover, trl's forward",
                "shared": "spillover, shared prompt"}[mode]  # fmt: skip
        name = name if off is None else f"spillover, {off} flipped"
        switches = ", ".join(f"{k}={group[0]['args'].get(k)}" for k in keys)
        switches += (
            f", {head}={mode != 'trl' and (mode == 'shared' or group[0]['speed_plan'][head])}"
        )
        switches += f", shared_prompt={'on' if mode == 'shared' else 'off'}"
        print(
            f"  {name:<36} {steady(pooled(group, 'step_s')):6.2f} s/step wall, "
            f"{steady(pooled(group, 'step_cpu')):6.2f} cpu; before step 1 "
            f"{min(r['setup_s'] for r in group):5.1f} s wall; in all "
            f"{min(total(r) for r in group):5.1f} s wall, {min(total(r, 'cpu') for r in group):5.1f} cpu; "
            f"{group[0]['memory_kind']} {max(r['peak_mib'] for r in group):.0f} MiB "
            f"(+{max(r['training_mib'] for r in group):.0f} training); {switches}"
        )
    print(f"  spillover speed plan on {first['device']}: {first['speed_plan']}")
    computed, rows = (sum(r["tokens"][k] for r in shared) for k in (0, 1))
    print(f"shared prompt: tokens computed {computed} of trl's padded rows' {rows} "
          f"(ratio {computed / rows:.2f}), policy and reference forwards")  # fmt: skip
    pairs_of = (("trl defaults / spillover", trl, ours),
                ("trl defaults / spillover shared prompt", trl, shared),
                ("spillover / spillover shared prompt", ours, shared))  # fmt: skip
    for kind, label in (("s", "wall"), ("cpu", "cpu")):
        tag = "step time ratio" if kind == "s" else "step cpu-time ratio"
        for what, slow, fast in pairs_of:
            ratio = steady(pooled(slow, f"step_{kind}")) / steady(pooled(fast, f"step_{kind}"))
            whole = min(total(r, kind) for r in slow) / min(total(r, kind) for r in fast)
            print(f"{tag} ({what}): {ratio:.1f}x  "
                  f"[{label}, whole run incl. set-up and reference precompute: {whole:.1f}x]")  # fmt: skip
    for what, base, other in pairs_of[:2]:
        peak = max(r["peak_mib"] for r in base) / max(r["peak_mib"] for r in other)
        own = max(r["training_mib"] for r in base) / max(max(r["training_mib"] for r in other), 1)
        print(f"peak memory ratio ({what}): {peak:.2f}x; training's own: {own:.2f}x")
    worst = 0.0
    for what, group in (("spillover", ours), ("spillover shared prompt", shared)):
        diffs = [abs(a - b) for x, y in zip(trl, group, strict=True)
                 for a, b in zip(x["loss"], y["loss"], strict=True)]  # fmt: skip
        worst = max(worst, max(diffs))
        verdict = "within" if max(diffs) <= LOSS_TOLERANCE else "OUTSIDE"
        print(
            f"max per-step loss difference (trl defaults vs {what}): {max(diffs):.2e} over "
            f"{len(diffs)} steps ({verdict} tolerance {LOSS_TOLERANCE:g}); losses "
            f"{trl[0]['loss'][0]:.4f} -> {trl[0]['loss'][-1]:.4f}"
        )
    if worst > LOSS_TOLERANCE:
        sys.exit(1)


if __name__ == "__main__":
    main()
