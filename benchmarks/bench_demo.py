"""Seconds of each stage of the demo audit, from the events of a real run.

    .venv/bin/python benchmarks/bench_demo.py [--profile demo] [--bbq DIR] [--set K=V ...]

``--set 'align.seeds=[0, 1, 2]'`` times an audit with three DPO seed replicates: the
align and aligned stages then run once per seed and their seconds add up.

Runs the whole audit of the profile (default: the demo, as ``make demo`` does, nothing
cut) into a temporary store, timestamps the engine's stage events and prints each
stage's seconds: baseline evaluation, DPO (set-up incl. the reference precompute, then
the steps), aligned evaluation, comparison, and the total. Not a test: timings depend on
the machine and on what else runs on it.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: avoids CPU stalls

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

BBQ_LITE = Path(__file__).resolve().parents[2] / "shared" / "bbq" / "lite"


class StageClock:
    """A reporter that records when each stage starts and finishes, and the DPO steps."""

    def __init__(self):
        self.started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}
        self.skipped: set[str] = set()
        self.step_times: list[float] = []

    def __call__(self, event) -> None:
        from auditor.core.events import StageFinished, StageStarted, TrainStep

        now = time.perf_counter()
        if isinstance(event, StageStarted):
            self.started[event.stage] = now
        elif isinstance(event, StageFinished):
            took = now - self.started.get(event.stage, now)
            self.seconds[event.stage] = self.seconds.get(event.stage, 0.0) + took
            if event.skipped:
                self.skipped.add(event.stage)
        elif isinstance(event, TrainStep):
            self.step_times.append(now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--bbq", default=os.environ.get("SPILLOVER_BBQ", str(BBQ_LITE)))
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a profile field",
    )
    args = parser.parse_args()

    from auditor.audit.pipeline import STAGES, run_audit
    from auditor.audit.profiles import load_profile
    from auditor.models.quiet import quiet_hf
    from auditor.store.db import Store

    quiet_hf()
    profile = load_profile(args.profile, args.overrides)
    clock = StageClock()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store.db")
        try:
            result = run_audit(profile, store=store, bbq=args.bbq, reporter=clock)
        finally:
            store.close()
    total = time.perf_counter() - start
    print(f"audit {result.audit_id} ({profile.name}: {profile.model.source} on "
          f"{profile.model.device}, {profile.data.sample} items an evaluation, "
          f"{profile.align.max_steps} DPO steps, seeds {list(profile.align.seeds) or 'one'}), "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    for stage in STAGES:
        note = " (reused)" if stage in clock.skipped else ""
        print(f"  {stage:<9} {clock.seconds.get(stage, 0.0):7.1f} s{note}")
    if clock.step_times and "align" in clock.started and len(profile.align.seeds) < 2:
        first = clock.step_times[0] - clock.started["align"]
        steps = clock.step_times[-1] - clock.step_times[0]
        n = len(clock.step_times) - 1
        per = f", then {steps / n:.1f} s/step" if n else ""
        print(f"  align: {first:.1f} s to the first step (load, precompute, step 1){per}")
    print(f"  other     {total - sum(clock.seconds.values()):7.1f} s (planning, loading BBQ)")
    print(f"total {total:.1f} s")


if __name__ == "__main__":
    main()
