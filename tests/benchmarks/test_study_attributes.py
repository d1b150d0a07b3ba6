"""The study's per-attribute controls on a study-shaped store, checked against a naive
recount from the store's own rows."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from auditor.bbq import load_bbq
from tests.fixtures.study_store import build_study_store

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def printed(tmp_path_factory, bbq_lite):
    study = build_study_store(
        tmp_path_factory.mktemp("study") / "runs.sqlite", bbq_lite, items=360, n_boot=200
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "benchmarks/study_attributes.py", "--store", str(study.store_path),
         "--bbq", str(bbq_lite)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return study.store_path, result.stdout


def _runs(db: sqlite3.Connection) -> list[str]:
    """Baseline, then each seed's aligned run in the audit's own format, from its record."""
    baseline, record = db.execute("SELECT baseline_run, record FROM audits").fetchone()
    links = json.loads(record)["replicates"]
    return [baseline, *(links[seed]["aligned_run"] for seed in sorted(links, key=int))]


def test_unknown_shares_equal_a_recount(printed, bbq_lite):
    store, out = printed
    items = {item.id: item for item in load_bbq(bbq_lite).items}
    with sqlite3.connect(store) as db:
        runs = _runs(db)
        rows = {r: dict(db.execute("SELECT item_id, predicted FROM answers WHERE run_id = ?", (r,)))
                for r in runs}  # fmt: skip
    lines = re.findall(r"^  (\w+) +(ambig|disambig) +n=(\d+)  (.+)$", out, re.M)
    assert len(lines) == 18  # nine attributes, two contexts
    for attribute, context, n, shares in lines:
        ids = [i for i in rows[runs[0]] if items[i].attribute == attribute
               and items[i].context_condition == context]  # fmt: skip
        expected = [sum(rows[r][i] == items[i].unknown_index for i in ids) / len(ids) for r in runs]
        assert int(n) == len(ids)
        assert shares == " -> ".join(f"{100 * s:.1f}%" for s in expected)


def test_position_bias_equals_a_recount(printed, bbq_lite):
    store, out = printed
    items = {item.id: item for item in load_bbq(bbq_lite).items}
    with sqlite3.connect(store) as db:
        runs = _runs(db)
        orders = {r: db.execute("SELECT item_id, ordering, predicted FROM order_answers "
                                "WHERE run_id = ?", (r,)).fetchall() for r in runs}  # fmt: skip
    lines = dict(re.findall(r"^  (\w+) +(\d\.\d{3} \(.+)$", out, re.M))
    assert len(lines) == 9
    for attribute, shown in lines.items():
        naive = []
        for r in runs:
            rows = [row for row in orders[r] if items[row[0]].attribute == attribute]
            chosen = Counter(ordering.index(str(p)) for _, ordering, p in rows)
            right = Counter(ordering.index(str(items[i].label)) for i, ordering, _ in rows)
            share = [chosen[k] / len(rows) for k in range(3)]
            distance = sum(abs(share[k] - right[k] / len(rows)) for k in range(3)) / 2
            naive.append(f"{distance:.3f} ({'/'.join(f'{100 * s:.0f}' for s in share)})")
        assert shown == " -> ".join(naive), attribute
