"""What reading a store from a folder this user cannot write costs: opening it read-only
in place against reading a private copy of it and its WAL (what such a folder needs).

    .venv/bin/python benchmarks/bench_readonly_store.py [--runs 20] [--items 5000]

Builds a store of RUNS evaluation runs of ITEMS answers each (real BBQ-lite items, made-up
answers) in a temporary folder, then times ``Store(path, readonly=True)`` + ``runs()`` +
close both ways, alternating, and prints the store's size, the median seconds of each and
their ratio. Not a test: timings depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

BBQ_LITE = Path(__file__).resolve().parents[2] / "shared" / "bbq" / "lite"


def build(path: Path, runs: int, items: int, bbq: Path) -> None:
    from auditor.bbq import load_bbq
    from auditor.core.answers import Answer
    from auditor.store.db import Store

    chosen = load_bbq(bbq).items[:items]
    with Store(path) as store:
        for r in range(runs):
            run_id = store.create_or_get_run("eval", f"bench-{r}", model="m", total=len(chosen))
            answers = [Answer(i.id, (n + r) % 3, (-1.0, -2.0, -3.0)) for n, i in enumerate(chosen)]
            store.add_answers(run_id, chosen, answers)


def read(path: Path) -> float:
    from auditor.store.db import Store

    start = time.perf_counter()
    with Store(path, readonly=True) as store:
        store.runs()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--bbq", default=os.environ.get("SPILLOVER_BBQ", str(BBQ_LITE)))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "runs.sqlite"
        build(path, args.runs, args.items, Path(args.bbq))
        real = os.access
        unwritable = mock.patch(
            "os.access",
            lambda p, mode, **kw: (
                False if mode == os.W_OK and Path(p) == path.parent else real(p, mode, **kw)
            ),
        )
        in_place, copied = [], []
        for _ in range(args.repeats):
            in_place.append(read(path))
            with unwritable:
                copied.append(read(path))
        size = sum(p.stat().st_size for p in Path(tmp).glob("runs.sqlite*"))
        a, b = statistics.median(in_place), statistics.median(copied)
        print(f"store {size / 1e6:.1f} MB ({args.runs} runs x {args.items} answers)")
        print(
            f"read in place: {a:.3f} s; read from a private copy: {b:.3f} s; "
            f"ratio {b / a:.2f}x (medians of {args.repeats})"
        )


if __name__ == "__main__":
    main()
