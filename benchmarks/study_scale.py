"""The study at scale, measured on its store: each stage's wall time (from the runs'
stored timings), the store's size, the comparison's seconds in process, and the latency
and peak memory of `spillover compare`, `gate`, `items` and `runs` on it.

    python benchmarks/study_scale.py --store study/store.sqlite --bbq DIR [--audit ID]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from bench_scale import timed_cli  # this folder is on sys.path when run as a script


def size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def stage_lines(store, audit) -> list[str]:
    out = []
    for link in audit.links():
        run = store.run(link.run_id)
        where = link.role + (f" seed {link.seed}" if link.seed is not None else "")
        where += f" ({link.format})" if link.format else ""
        if run.kind == "train":
            metrics = run.record.get("metrics", {})
            steps, secs = metrics.get("session_steps"), metrics.get("train_runtime")
            what = f"{steps} steps" if steps else "steps unknown"
        else:
            timing = run.record.get("timing") or {}
            secs, what = timing.get("seconds"), f"{run.done} items"
        shown = "n/a" if secs is None else f"{secs:.0f} s"
        out.append(f"  {where:28} {run.id[:12]}  {what:>12}  {shown}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--bbq", default="")
    parser.add_argument("--audit", default="", help="audit id (default: the newest)")
    args = parser.parse_args()
    from auditor.audit.comparison import compare_stored
    from auditor.store.db import Store

    store_path = Path(args.store)
    with Store(store_path, readonly=True) as store:
        audits = store.audits()
        audit = next((a for a in audits if a.id.startswith(args.audit)), None)
        if audit is None:
            raise SystemExit(f"{args.store}: no audit {args.audit!r}")
        print(f"audit {audit.id} ({audit.status}), {audit.outcome.eval_items} items an evaluation")
        print("stages (stored timings):")
        print("\n".join(stage_lines(store, audit)))
        base, aligned = audit.baseline_run, audit.aligned_run
        target = tuple(audit.profile.get("align", {}).get("target", ()))
        heldout = audit.outcome.heldout_ids
        started = time.process_time(), time.monotonic()
        compare_stored(
            store, base, aligned, bbq=args.bbq or None, target=target, heldout_ids=heldout
        )
        cpu, wall = time.process_time() - started[0], time.monotonic() - started[1]
    folder = store_path.parent
    parts = [store_path, *(folder / (store_path.name + s) for s in ("-wal", "-shm"))]
    print(
        f"store: {mib(sum(size(p) for p in parts))} database, "
        f"{mib(size(folder / 'audits'))} audits folder (adapters and checkpoints)"
    )
    print(f"comparison in process (with the bootstrap): {wall:.1f} s wall, {cpu:.1f} s CPU")
    where = ["--store", str(store_path), *(["--bbq", args.bbq] if args.bbq else [])]
    for name, cmd in (
        ("compare", ["compare", base, aligned, *where]),
        ("gate", ["gate", audit.id, *where]),
        (
            "items --failing --limit 50",
            ["items", aligned, "--failing", "--limit", "50", *where],
        ),
        ("runs", ["runs", "--store", str(store_path)]),
    ):
        wall, peak, rc = timed_cli(cmd)
        print(f"spillover {name}: {wall:.1f} s, peak {peak:.0f} MiB, exit {rc}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"this script's own peak (the comparison in process): {own:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
