"""Scoring speed on BBQ: naive per-option forwards vs prefix-shared options vs letter mode.

    .venv/bin/python benchmarks/bench_scoring.py [--n 200] [--batch-size 8] [--model M]

Scores the same seeded BBQ-lite sample three ways, checks that naive and prefix-shared
option scoring choose the same options, and prints items/s and the speed-up ratios.
Not a test: timings depend on the machine.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: avoids CPU stalls

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

BBQ_LITE = Path(__file__).resolve().parents[2] / "shared" / "bbq" / "lite"


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="items (default 200)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--bbq", default=os.environ.get("SPILLOVER_BBQ", str(BBQ_LITE)))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    from transformers.utils import logging as hf_logging

    from auditor.bbq import load_bbq, sample
    from auditor.evaluation.prompts import PromptBuilder
    from auditor.evaluation.scoring.batching import plan_batches
    from auditor.evaluation.scoring.letter import score_letters
    from auditor.evaluation.scoring.options import naive_option_logliks, option_logliks
    from auditor.models.loading import ModelSpec, load_model

    hf_logging.disable_progress_bar()
    items = list(sample(load_bbq(args.bbq).items, n=args.n, seed=args.seed))[: args.n]
    loaded = load_model(ModelSpec(args.model, device=args.device))
    model, builder = loaded.model, PromptBuilder(loaded.tokenizer)
    prompt_ids = [builder.prompt_ids(item) for item in items]
    batches = plan_batches([len(p) for p in prompt_ids], args.batch_size)
    n = len(items)
    print(f"{args.model} on {loaded.device}/{loaded.dtype}, torch threads "
          f"{torch.get_num_threads()}, {n} items, batch {args.batch_size}, "
          f"mean prompt {sum(map(len, prompt_ids)) / n:.0f} tokens")  # fmt: skip

    def shared():
        sums, counts = torch.zeros(n, 3), torch.zeros(n, 3)
        for b in batches:
            s, c = option_logliks(model, builder, [items[i] for i in b], [prompt_ids[i] for i in b])
            sums[b], counts[b] = s, c
        return sums, counts

    def letters():
        return [
            a
            for b in batches
            for a in score_letters(model, builder, [items[i] for i in b], [prompt_ids[i] for i in b])
        ]

    warm = batches[-1][:2]  # warm-up on a short batch
    option_logliks(model, builder, [items[i] for i in warm], [prompt_ids[i] for i in warm])
    naive_option_logliks(model, builder, [items[i] for i in warm], [prompt_ids[i] for i in warm])
    (naive_sums, naive_counts), t_naive = timed(
        lambda: naive_option_logliks(model, builder, items, prompt_ids)
    )
    (sums, counts), t_shared = timed(shared)
    _, t_letter = timed(letters)

    naive_pick = (naive_sums / naive_counts).argmax(-1)
    shared_pick = (sums / counts).argmax(-1)
    same = int((naive_pick == shared_pick).sum())
    print(f"max |naive - shared| summed log-lik: {(naive_sums - sums).abs().max():.2e}; "
          f"same choice on {same}/{n}")  # fmt: skip
    rows = [("naive per-option", t_naive), ("prefix-shared options", t_shared),
            ("letter", t_letter)]  # fmt: skip
    for name, seconds in rows:
        print(f"{name:>22}: {n / seconds:7.2f} items/s  ({seconds:.1f} s)")
    print(f"prefix-shared / naive: {t_naive / t_shared:.2f}x   "
          f"letter / naive: {t_naive / t_letter:.2f}x   "
          f"letter / prefix-shared: {t_shared / t_letter:.2f}x")  # fmt: skip
    assert torch.equal(naive_pick, shared_pick), "naive and prefix-shared choices differ"


if __name__ == "__main__":
    main()
