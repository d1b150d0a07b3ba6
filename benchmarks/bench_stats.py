"""Benchmark: the full spillover table for 58,492 synthetic BBQ-shaped items × 2 runs.

Nine attributes sized like the official BBQ files, template instances of four items
(ambig/disambig × neg/nonneg), 10,000 bootstrap resamples. Prints wall times; the goal
is under 5 s on a 2-core machine. CPU time is printed too: wall time on a shared
machine varies with the load.

    .venv/bin/python benchmarks/bench_stats.py [--n-boot 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from auditor.core.answers import Answer
from auditor.core.items import ATTRIBUTES, Item, Option, Roles
from auditor.stats import compare_runs, pair_runs, summarize_run

N_ITEMS = 58_492
# rows per attribute in the official BBQ release (nine single-attribute files)
OFFICIAL_ROWS = {
    "Age": 3680,
    "Disability_status": 1556,
    "Gender_identity": 5672,
    "Nationality": 3080,
    "Physical_appearance": 1576,
    "Race_ethnicity": 6880,
    "Religion": 1200,
    "SES": 6864,
    "Sexual_orientation": 864,
}


def synthetic_items(n_items: int = N_ITEMS, seed: int = 0) -> dict[str, Item]:
    """BBQ-shaped items: each template instance has the four context × polarity items."""
    rng = np.random.default_rng(seed)
    weights = np.array([OFFICIAL_ROWS[a] for a in ATTRIBUTES], dtype=float)
    templates = np.floor(weights / weights.sum() * n_items / 4).astype(int)
    templates[np.argmax(templates)] += n_items // 4 - templates.sum()
    items: dict[str, Item] = {}
    for attribute, count in zip(ATTRIBUTES, templates, strict=True):
        example = 0
        for t in range(count):
            options = (
                Option("Unknown", "unknown"),
                Option(f"group a{t}", "a"),
                Option(f"group b{t}", "b"),
            )
            answer_in_disambig = int(rng.integers(1, 3))
            for context in ("ambig", "disambig"):
                for polarity in ("neg", "nonneg"):
                    biased = 1 if polarity == "neg" else 2
                    item = Item(
                        id=f"{attribute}:{example}",
                        attribute=attribute,
                        example_id=example,
                        context_condition=context,
                        polarity=polarity,
                        question_index=str(t % 50 + 1),
                        context="",
                        question="",
                        options=options,
                        label=0 if context == "ambig" else answer_in_disambig,
                        stereotyped_groups=("a",),
                        subcategory="",
                        unknown_index=0,
                        roles=Roles(biased=biased, anti_biased=3 - biased, unknown=0),
                    )
                    items[item.id] = item
                    example += 1
    return items


def _pick(item: Item, rng: np.random.Generator) -> int | None:
    """A weak, biased model's answer; 1% invalid."""
    if rng.random() < 0.01:
        return None
    # unknown, biased, anti-biased
    probs = [0.40, 0.35, 0.25] if item.context_condition == "ambig" else [0.10, 0.60, 0.30]
    return (item.unknown_index, item.roles.biased, item.roles.anti_biased)[rng.choice(3, p=probs)]


def synthetic_runs(items: dict[str, Item], seed: int = 0) -> tuple[list[Answer], list[Answer]]:
    """Two runs: after re-answers 30% of the items."""
    rng = np.random.default_rng(seed + 1)
    before, after = [], []
    for item in items.values():
        first = _pick(item, rng)
        second = first if rng.random() < 0.7 else _pick(item, rng)
        before.append(Answer(item.id, first))
        after.append(Answer(item.id, second))
    return before, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-boot", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    items = synthetic_items(seed=args.seed)
    before, after = synthetic_runs(items, seed=args.seed)
    clusters = len({i.template for i in items.values()})
    print(
        f"{len(items):,} items, {clusters:,} template instances, 2 runs, {args.n_boot:,} resamples"
    )

    start = time.perf_counter()
    frame = pair_runs(items, before, after)
    framed = time.perf_counter() - start

    start, cpu = time.perf_counter(), time.process_time()
    table = compare_runs(
        items, before, after, target=("Gender_identity",), n_boot=args.n_boot, seed=args.seed
    )
    total, cpu = time.perf_counter() - start, time.process_time() - cpu

    start = time.perf_counter()
    summarize_run(items, before, n_boot=args.n_boot, seed=args.seed)
    summary = time.perf_counter() - start

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"frame (items + answers -> arrays): {framed:.2f} s for {frame.n:,} paired items")
    print(
        f"compare_runs, full table:          {total:.2f} s wall, {cpu:.2f} s CPU "
        f"({len(table.family)} tests, goal < 5 s)"
    )
    print(f"summarize_run, one run:            {summary:.2f} s")
    print(f"peak RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
