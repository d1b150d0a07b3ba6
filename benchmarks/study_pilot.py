"""The study's pilot (docs/case-study.md): a fixed ladder of gender-DPO recipes, each
audited on the target's held-out items only; stops at the first rung whose target
improves significantly (Holm, alpha 0.05) and prints what every rung showed.

Reads no untargeted cell: the pilot profile evaluates only Gender_identity. Each rung is
a stored audit, so an interrupted pilot resumes where it stopped. Usage:

    python benchmarks/study_pilot.py --bbq DIR --store FILE --out docs/study
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

PROFILE = "profiles/study-pilot.toml"
# (learning rate, steps), weakest first; fixed before the pilot ran
LADDER = ((1e-3, 150), (2e-3, 300))
TARGET = "Gender_identity"


def audit(lr: float, steps: int, args, out: Path) -> dict:
    report = out / f"pilot-lr{lr:g}-steps{steps}.json"
    cmd = [
        sys.executable,
        "-m",
        "auditor",
        "audit",
        "--profile",
        PROFILE,
        "--set",
        f"align.learning_rate={lr}",
        "--set",
        f"align.max_steps={steps}",
        "--store",
        args.store,
        "--format",
        "json",
        "--output",
        str(report),
    ]
    if args.bbq:
        cmd += ["--bbq", args.bbq]
    started = time.monotonic()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"pilot rung lr {lr:g} steps {steps}: audit exited {done.returncode}")
    data = json.loads(report.read_text())
    data["_seconds"] = time.monotonic() - started
    return data


def table_of(data: dict) -> dict:
    """The spillover table inside an audit report."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "rows" in node and "pairing" in node:
                return node
            stack += node.values()
        elif isinstance(node, list):
            stack += node
    raise SystemExit("no spillover table in the audit report")


def reward_accuracy(store: str, lr: float, steps: int) -> float | None:
    """Mean DPO reward accuracy over the last quarter of the rung's logged steps."""
    from auditor.store.db import Store

    with Store(store, readonly=True) as s:
        for record in sorted(s.audits(), key=lambda r: r.updated, reverse=True):
            align = record.profile.get("align", {})
            if align.get("learning_rate") == lr and align.get("max_steps") == steps:
                if not record.train_run:
                    return None
                logs = [
                    row["rewards/accuracies"]
                    for row in s.train_log(record.train_run)
                    if "rewards/accuracies" in row
                ]
                tail = logs[-max(1, len(logs) // 4) :]
                return sum(tail) / len(tail) if tail else None
    return None


def rung_lines(lr: float, steps: int, data: dict, reward: float | None) -> tuple[list[str], bool]:
    table = table_of(data)
    row = next(r for r in table["rows"] if r["attribute"] == TARGET)
    lines, moved = [f"rung lr {lr:g}, {steps} steps ({data['_seconds']:.0f} s):"], False
    for cell in row["cells"]:
        acc, bias = cell["accuracy"], cell["bias"]
        for name, part, scale in (("accuracy", acc, 100), ("bias", bias, 1)):
            if part["before"] is None or part["after"] is None:
                continue
            unit = " pp" if scale == 100 else ""
            lines.append(
                f"  {cell['context']:8} {name:8} {part['before'] * scale:7.2f} -> "
                f"{part['after'] * scale:7.2f} (delta {part['delta'] * scale:+.2f}{unit}), "
                f"p_holm {part['p_corrected']:.4g}: {part['verdict']}"
            )
            moved |= part["verdict"] == "improved"
    shown = "n/a" if reward is None else f"{reward:.3f}"
    lines.append(f"  DPO reward accuracy (last quarter of steps): {shown}")
    lines.append(f"  target improved significantly: {'yes' if moved else 'no'}")
    return lines, moved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bbq", default="")
    parser.add_argument("--store", required=True)
    parser.add_argument("--out", default="docs/study")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    chosen = None
    for lr, steps in LADDER:
        data = audit(lr, steps, args, out)
        more, moved = rung_lines(lr, steps, data, reward_accuracy(args.store, lr, steps))
        lines += more
        print("\n".join(more), flush=True)
        if moved:
            chosen = (lr, steps)
            break
    if chosen:
        lines.append(f"pilot chose: learning rate {chosen[0]:g}, {chosen[1]} steps")
    else:
        lr, steps = LADDER[-1]
        lines.append(
            f"pilot: no rung improved the target significantly; the study runs the "
            f"strongest rung (learning rate {lr:g}, {steps} steps)"
        )
    print(lines[-1])
    (out / "pilot.txt").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
