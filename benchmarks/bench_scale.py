"""The engine at study scale, without a model: a study-shaped store (every attribute, a
baseline and two seed replicates in letter mode with cyclic option rotation, the cloze
transfer; `tests/fixtures/study_store.py`) at the demo's size and at the study's, and
side by side on each: the comparison stage and its bootstrap (library calls), the report
renderings, `spillover compare`, `gate`, `items` and `runs` (subprocesses: wall seconds
and peak memory), and the app opening the stored audit headless until its table shows.

    python benchmarks/bench_scale.py --bbq DIR [--sizes 432,1800] [--n-boot 10000]
        [--repeat 2] [--profile-out FILE]

Every measurement runs at each size in turn (best of ``--repeat``), so the sizes see the
same load; it prints one line a measurement and size, with its ratio to the first size.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path


def timed_call(fn, memory: bool = True):
    """(wall seconds, peak Python-allocated MiB, result) of ``fn()``: timed in a first
    call, its memory traced in a second (tracing slows Python down several times); the
    memory is NaN without ``memory``."""
    started = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - started
    if not memory:
        return wall, float("nan"), out
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return wall, peak, out


def timed_cli(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak resident MiB (GNU time) and exit status of ``spillover args``."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "auditor", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    peak = int(done.stderr.strip().splitlines()[-1]) / 1024
    return wall, peak, done.returncode


def comparison(study, bbq):
    """The audit's comparison stage, as the runner calls it (pooled table, rotation per
    seed, transfer), on the stored runs."""
    from auditor.audit.plan import audit_plan
    from auditor.audit.plan_tables import compare_plan
    from auditor.audit.selection import plan_audit
    from auditor.core.events import StageKey
    from auditor.store.db import Store

    plan = audit_plan(study.profile)
    selection = plan_audit(study.profile, str(bbq))
    recipe = plan.recipe
    runs = {StageKey("baseline", recipe): study.baseline}
    runs[StageKey("baseline", recipe, None, "cloze")] = study.transfer["baseline"]
    for seed, run in study.aligned.items():
        runs[StageKey("aligned", recipe, seed)] = run
        runs[StageKey("aligned", recipe, seed, "cloze")] = study.transfer[f"aligned-{seed}"]

    def run():
        with Store(study.store_path, readonly=True) as store:
            return compare_plan(study.profile, plan, selection, store, runs)

    return run


def bootstrap_only(study, bbq, n_boot):
    """The pooled table's statistics alone, on answers already read."""
    from auditor.audit.comparison import compare, ordered_attributes
    from auditor.audit.selection import plan_audit
    from auditor.store.db import Store

    selection = plan_audit(study.profile, str(bbq))
    with Store(study.store_path, readonly=True) as store:
        before = store.answers(study.baseline)
        after = {s: store.answers(r) for s, r in study.aligned.items()}
    target = study.profile.align.target
    return lambda: compare(
        selection.items,
        before,
        after,
        target=target,
        attributes=ordered_attributes(target, study.profile.data.attributes),
        heldout_ids=selection.heldout_ids,
        n_boot=n_boot,
        seed=0,
    )


def reports(study, bbq):
    """Every report format of the stored audit, from the report builder (HTML with its
    flipped items), rendered once each."""
    from auditor.audit.history import load_audit
    from auditor.audit.profiles import build_profile
    from auditor.audit.report import audit_report, audit_subject
    from auditor.reports.formats import render_report
    from auditor.store.db import Store

    def run():
        with Store(study.store_path, readonly=True) as store:
            result = load_audit(store, study.audit_id)
            profile = build_profile(result.profile)
            subject = audit_subject(result, profile)
            out = {}
            for fmt in ("json", "markdown", "html"):
                report, _ = audit_report(store, result, subject, bbq=str(bbq), flips=fmt == "html")
                out[fmt] = len(render_report(report, fmt))
            return out

    return run


def app_open(study, bbq, size=(160, 48)) -> tuple[float, float]:
    """Seconds from the app's start to the stored audit's table shown (headless), and
    from there to a cell's items shown (the drill-down)."""
    from textual.widgets import DataTable

    from tui import SpilloverApp
    from tui.backend import Backend
    from tui.widgets.spillover import SpilloverView

    async def go() -> float:
        started = time.perf_counter()
        app = SpilloverApp(Backend(study.store_path, str(bbq)))
        async with app.run_test(size=size) as pilot:
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            audits = app.screen.query_one("#audits", DataTable)
            audits.focus()
            audits.move_cursor(row=audits.get_row_index(study.audit_id))
            await pilot.press("enter")
            while not app.screen.query(SpilloverView):
                await pilot.app.workers.wait_for_complete()
                await pilot.pause(0.01)
            shown = time.perf_counter()
            view = app.screen.query_one(SpilloverView)
            view.focus()
            view.move_cursor(row=view.get_row_index("Physical_appearance"), column=1)
            await pilot.press("enter")
            while not app.screen.query("#dd-items"):
                await pilot.app.workers.wait_for_complete()
                await pilot.pause(0.01)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            return shown - started, time.perf_counter() - shown

    return asyncio.run(go())


def measurements(study, bbq, n_boot: int, memory: bool = True) -> dict:
    """Name -> a call returning (seconds, peak MiB or NaN) for one store."""
    store = str(study.store_path)
    where = ["--store", store, "--bbq", str(bbq)]
    first = study.aligned[min(study.aligned)]

    def library(make):
        return lambda: timed_call(make(), memory)[:2]

    def cli(name, args):
        def run():
            wall, peak, rc = timed_cli(args)
            if rc not in (0, 1):
                raise SystemExit(f"{name} exited {rc} on {store}")
            return wall, peak

        return run

    out = {
        "comparison stage (library)": library(lambda: comparison(study, bbq)),
        f"pooled table, n_boot {n_boot} (library)": library(
            lambda: bootstrap_only(study, bbq, n_boot)
        ),
        "reports json+md+html (library)": library(lambda: reports(study, bbq)),
    }
    for name, args in (
        ("spillover compare", ["compare", study.baseline, first, *where]),
        ("spillover gate", ["gate", study.audit_id, *where]),
        ("spillover items --failing", ["items", first, "--failing", *where]),
        ("spillover runs", ["runs", "--store", store]),
    ):
        out[name] = cli(name, args)
    out["app: open the audit, then a cell's items (160x48)"] = lambda: (
        sum(app_open(study, bbq)),
        float("nan"),
    )
    return out


def planted(study, where) -> str:
    """The stored table's pooled accuracy change in the cell the synthetic model degrades."""
    from auditor.audit.history import load_audit
    from auditor.store.db import Store

    with Store(study.store_path, readonly=True) as store:
        table = load_audit(store, study.audit_id).table
    row = next(r for r in table.rows if r.attribute == where[0])
    acc = row.cell(where[1]).accuracy
    return f"{' '.join(where)} accuracy {acc.delta * 100:+.1f} pp, corrected p {acc.p_corrected:.2g}, {acc.verdict}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bbq", required=True)
    parser.add_argument("--sizes", default="432,1800")
    parser.add_argument("--n-boot", type=int, default=10000)
    parser.add_argument("--dir", default="", help="where the stores go (default: a temp dir)")
    parser.add_argument("--repeat", type=int, default=2, help="best of N runs each")
    parser.add_argument("--profile-out", default="", help="cProfile the largest size's stage")
    parser.add_argument(
        "--no-memory",
        action="store_true",
        help="skip the library calls' traced second run (their peak memory is not printed)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.fixtures.study_store import EFFECT_CELL, build_study_store

    folder = Path(args.dir or tempfile.mkdtemp(prefix="bench-scale-"))
    sizes = [int(s) for s in args.sizes.split(",")]
    studies = {}
    for n in sizes:
        path = folder / f"study-{n}.sqlite"
        path.unlink(missing_ok=True)
        started = time.perf_counter()
        studies[n] = build_study_store(path, args.bbq, items=n, n_boot=args.n_boot)
        built = time.perf_counter() - started
        mib = path.stat().st_size / 2**20
        print(f"[{n} items] store built in {built:.1f} s: {mib:.1f} MiB")
        print(f"[{n} items] planted effect: {planted(studies[n], EFFECT_CELL)}")
    calls = {
        n: measurements(study, args.bbq, args.n_boot, not args.no_memory)
        for n, study in studies.items()
    }
    best: dict[str, dict[int, tuple[float, float]]] = {}
    for name in calls[sizes[0]]:  # the sizes side by side, each measurement in turn
        for _ in range(args.repeat):
            for n in sizes:
                wall, peak = calls[n][name]()
                if n not in best.setdefault(name, {}) or wall < best[name][n][0]:
                    best[name][n] = (wall, peak)
        for n in sizes:
            wall, peak = best[name][n]
            mem = "" if peak != peak else f", peak {peak:.0f} MiB"
            ratio = "" if n == sizes[0] else f" ({wall / best[name][sizes[0]][0]:.2f}x)"
            print(f"[{n} items] {name}: {wall:.2f} s{ratio}{mem}")
    if args.profile_out:
        fn = comparison(studies[sizes[-1]], args.bbq)
        cProfile.runctx("fn()", {"fn": fn}, {}, args.profile_out)
        pstats.Stats(args.profile_out).sort_stats("cumulative").print_stats(25)
    print(
        "items ratios: "
        + ", ".join(f"{n} / {sizes[0]} = {n / sizes[0]:.2f}" for n in sizes[1:])
        + "; each measurement's ratio to the first size is in brackets (best of "
        + f"{args.repeat})"
    )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"this process's peak resident memory: {own:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
