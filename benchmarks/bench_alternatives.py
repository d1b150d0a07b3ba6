"""Benchmark: what the alternatives (McNemar vs the cluster test, lm-eval's and HELM's bias
conventions) add to a full spillover table, as a ratio to the table alone.

The 58,492 synthetic BBQ-shaped items × 2 runs of ``bench_stats.py``; both steps run
side by side in one process (CPU time: wall time on a shared machine varies with load).

    .venv/bin/python benchmarks/bench_alternatives.py [--n-boot 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

from bench_stats import synthetic_items, synthetic_runs

from auditor.stats import compare_runs
from auditor.stats.alternatives import with_alternatives


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-boot", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    items = synthetic_items(seed=args.seed)
    before, after = synthetic_runs(items, seed=args.seed)

    cpu = time.process_time()
    table = compare_runs(
        items, before, after, target=("Gender_identity",), n_boot=args.n_boot, seed=args.seed
    )
    base = time.process_time() - cpu
    cpu = time.process_time()
    extended = with_alternatives(table, items, before, after)
    extra = time.process_time() - cpu
    flagged = sum(bool(c.flagged) for c in extended.conventions)
    differ = sum(t.differs for t in extended.clustering)
    print(f"{len(items):,} items, {args.n_boot:,} resamples")
    print(f"table alone:       {base:.2f} s CPU")
    print(
        f"alternatives:      {extra:.2f} s CPU ({extra / base:.2f}x the table; "
        f"{differ} accuracy cells differ, {flagged} bias cells flagged)"
    )


if __name__ == "__main__":
    main()
