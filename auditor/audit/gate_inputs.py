"""What the gate checks in the store before it may judge: two different runs scored on the
same data (data checksums), finished runs, finite scores, and trained weights that did
not diverge. Each check returns the reasons
the gate must refuse (empty when it may judge); none imports torch.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from auditor.store.db import Store
from auditor.store.records import RunRecord


def run_problems(store: Store, before_id: str, after_id: str) -> list[str]:
    """Reasons two stored runs cannot be gated against each other."""
    before, after = store.run(before_id), store.run(after_id)
    found = []
    if before.id == after.id:
        found.append(
            f"run {before.id} is compared with itself: a self-comparison shows no "
            "change by construction; gate two different runs"
        )
    found += data_problems(before, after)
    for run in (before, after):
        if run.status != "done":
            found.append(
                f"run {run.id} is {run.status or 'unfinished'}, not done: gate finished runs only"
            )
        bad = sum(1 for a in store.answers(run.id) if any(not math.isfinite(s) for s in a.scores))
        if bad:
            found.append(
                f"run {run.id} has non-finite scores on {bad} items (diverged or broken weights)"
            )
    for field, what in (("mode", "scoring modes"), ("template", "prompt templates")):
        a, b = getattr(before, field), getattr(after, field)
        if a and b and a != b:
            found.append(
                f"the runs use different {what} ({_short(a)} vs {_short(b)}): "
                "their answers do not pair"
            )
    orders = [(run.settings or {}).get("orders", "none") for run in (before, after)]
    if orders[0] != orders[1]:
        found.append(
            f"the runs were scored in different option orders ({orders[0]} vs "
            f"{orders[1]}): one run's answers are aggregated over orderings, the "
            "other's are not"
        )
    return found


def data_problems(before: RunRecord, after: RunRecord) -> list[str]:
    """Reasons in the runs' recorded data checksums: both recorded and different means
    the runs were scored on different BBQ data (item content edited, another folder)."""
    found = []
    a, b = before.data_checksum, after.data_checksum
    if a and b and a != b:
        found.append(
            f"the runs were evaluated on different BBQ data (data checksum "
            f"{_short(a)} vs {_short(b)}): evaluate both on the same items"
        )
    a, b = ((run.settings or {}).get("items_checksum") for run in (before, after))
    if a and b and a != b:
        found.append(
            f"the runs' evaluated items differ (items checksum {a} vs {b}: other "
            "items or edited content): evaluate both on the same items"
        )
    return found


def training_problems(
    store: Store, train_run_id: str | None, adapter_dir: str | Path | None = None
) -> list[str]:
    """Reasons a training run's adapter must not be gated: failed, non-finite loss or
    weights."""
    found = []
    if train_run_id:
        run = store.run(train_run_id)
        error = run.record.get("error")
        if run.status == "failed":
            found.append(f"training run {train_run_id} failed ({error or 'no reason stored'})")
        for row in store.train_log(train_run_id):
            loss = row.get("loss")
            if isinstance(loss, float) and not math.isfinite(loss):
                found.append(
                    f"training run {train_run_id} logged loss {loss} at step "
                    f"{row.get('step')}: training diverged"
                )
                break
    if adapter_dir:
        weights = Path(adapter_dir) / "adapter_model.safetensors"
        if weights.is_file():
            bad = nonfinite_tensors(weights)
            if bad:
                found.append(
                    f"adapter {weights}: non-finite weights in {len(bad)} tensors "
                    f"(e.g. {bad[0]}): training diverged"
                )
    return found


def nonfinite_tensors(path: Path) -> list[str]:
    """Names of the tensors of a safetensors file holding NaN or ±inf (numpy only)."""
    import numpy as np

    from auditor.models.sources import safetensors_header

    header = safetensors_header(path)
    blob = path.read_bytes()
    data = blob[8 + int.from_bytes(blob[:8], "little") :]
    bad = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = data[start:end]
        dtype = info["dtype"]
        if dtype == "F32":
            values = np.frombuffer(raw, dtype="<f4")
        elif dtype == "F16":
            values = np.frombuffer(raw, dtype="<f2")
        elif dtype == "F64":
            values = np.frombuffer(raw, dtype="<f8")
        elif dtype == "BF16":
            values = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            continue
        if not np.isfinite(values).all():
            bad.append(name)
    return bad


def _short(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
