"""Fixture builder: a real spillover table for the figure and HTML tests: lm-eval's BBQ run against a
second run of the same items with other log-likelihoods."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from auditor.audit.comparison import compare_stored
from auditor.audit.drilldown import item_rows, row_to_dict
from auditor.bbq import load_bbq
from auditor.interop.lm_eval_import import import_lm_eval
from auditor.store.db import Store


def build_two_runs(tmp_path_factory, bbq_root: Path):
    samples = bbq_root.parent / "interop" / "lm-eval" / "samples_bbq.jsonl"
    if not samples.is_file():
        pytest.skip(f"lm-eval test output not found at {samples}")
    folder = tmp_path_factory.mktemp("two_runs")
    rng = random.Random(3)
    rows = [json.loads(x) for x in samples.read_text().splitlines() if x.strip()]
    for row in rows:
        row["filtered_resps"] = [
            [str(rng.uniform(-20, -1)), "False"] for _ in row["filtered_resps"]
        ]
    other = folder / "other.jsonl"
    other.write_text("".join(json.dumps(r) + "\n" for r in rows))
    bbq = bbq_root / "official"
    items = load_bbq(bbq).items
    store = Store(folder / "runs.sqlite")
    a = import_lm_eval(samples, items, store=store).run_id
    b = import_lm_eval(other, items, store=store).run_id
    table = compare_stored(store, a, b, bbq=str(bbq), target=("Age",), n_boot=500).table
    flips = tuple(row_to_dict(r) for r in item_rows(store, {i.id: i for i in items}, a, b,
                                                    show="flipped"))  # fmt: skip
    return {
        "store": folder / "runs.sqlite",
        "a": a,
        "b": b,
        "bbq": bbq,
        "table": table,
        "flips": flips,
    }
