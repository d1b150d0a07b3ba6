"""Cost of each alignment method per optimizer step, relative to DPO.

    .venv/bin/python benchmarks/bench_methods.py [--steps 4] [--model smollm2-135m]
        [--methods dpo,kto,...]

Trains each method on the same pairs (BBQ-lite Gender_identity, ``rejected="biased"``,
the same seed and learning rate), every step on the same pairs (KTO: their two rows
each), each in its own child process, one after the other, through the same
``build_trainer`` that ``spillover align`` uses (the DPO-trainer methods with their speed
switches at ``auto``: here the reference log-probs are precomputed before step 1, so
their steps skip the reference forward that kto runs). Prints the median seconds per step on
the clock and in CPU time (the first step apart: it warms up) and each method's ratio
to dpo. Not a test: timings depend on the machine; the ratios are what to read.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: avoids CPU stalls

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BBQ_LITE = ROOT.parent / "shared" / "bbq" / "lite"
PAIRS = 4


def child(method: str, model: str, steps: int) -> dict:
    """Train ``steps`` steps of ``method``; the per-step clock and CPU seconds."""
    sys.path.insert(0, str(ROOT))
    from transformers import TrainerCallback

    from auditor.align import trainers
    from auditor.align.preferences import build_pairs
    from auditor.align.session import build_trainer, quiet_progress
    from auditor.align.settings import AlignSettings
    from auditor.bbq import load_bbq
    from auditor.evaluation.prompts import PromptBuilder
    from auditor.models.loading import ModelSpec, load_model

    loaded = load_model(ModelSpec(model, device="cpu"), for_training=True)
    items = [i for i in load_bbq(BBQ_LITE, attributes=("Gender_identity",)).items
             if i.roles is not None][: PAIRS]  # fmt: skip
    pairs = build_pairs(items, PromptBuilder(loaded.tokenizer), rejected="biased")
    rows = PAIRS * (2 if method == "kto" else 1)
    settings = AlignSettings(method=method, batch_size=rows, max_steps=steps, learning_rate=5e-4,
                           max_length=320, save_steps=10_000)  # fmt: skip
    marks: list[tuple[float, float]] = []

    class Clock(TrainerCallback):
        def on_step_begin(self, *a, **k):
            marks.append((time.perf_counter(), time.process_time()))

        def on_step_end(self, *a, **k):
            marks.append((time.perf_counter(), time.process_time()))

    with tempfile.TemporaryDirectory() as out, quiet_progress():
        data = trainers.dataset(settings.method_info, pairs, loaded.tokenizer, settings)
        trainer = build_trainer(loaded, data, settings, out, [Clock()])
        trainer.train()
    spans = [(marks[i + 1][0] - marks[i][0], marks[i + 1][1] - marks[i][1])
             for i in range(0, len(marks), 2)][1:]  # fmt: skip
    return {
        "wall": statistics.median(s[0] for s in spans),
        "cpu": statistics.median(s[1] for s in spans),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--methods", default="dpo,ipo,robust,hinge,kto,orpo,simpo")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.model, args.steps)))
        return
    results = {}
    for method in args.methods.split(","):
        done = subprocess.run([sys.executable, __file__, "--child", method, "--model",
                               args.model, "--steps", str(args.steps)],
                              capture_output=True, text=True, check=True)  # fmt: skip
        results[method] = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{method:7s} {results[method]['wall']:7.2f} s/step wall "
            f"{results[method]['cpu']:7.2f} s/step cpu",
            flush=True,
        )
    base = results.get("dpo")
    if base:
        print(f"\nper step, relative to dpo ({PAIRS} pairs a step, {args.model}, CPU):")
        for method, r in results.items():
            print(
                f"  {method:7s} {r['cpu'] / base['cpu']:5.2f}x cpu  "
                f"{r['wall'] / base['wall']:5.2f}x wall"
            )


if __name__ == "__main__":
    main()
