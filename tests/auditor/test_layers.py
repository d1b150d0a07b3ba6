"""Layer contracts: the import rules of docs/architecture.md hold, and commands over stored
results start without torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.bbq import load_bbq, sample
from auditor.store.db import Store

from .audit_fixtures import synthetic_runs

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "trl", "peft", "datasets", "accelerate", "textual")

PROBE = """
import json, sys
from click.testing import CliRunner
from auditor.cli import main
result = CliRunner().invoke(main, sys.argv[1:])
heavy = [m for m in {heavy!r} if m in sys.modules]
print(json.dumps({{"exit": result.exit_code, "heavy": heavy, "output": result.output[-400:]}}))
"""


def test_import_contracts_hold():
    """import-linter checks every import, those inside functions too (pyproject.toml)."""
    linter = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(linter), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


@pytest.fixture(scope="module")
def stored_audit(tmp_path_factory, bbq_lite):
    """A store holding two runs and a finished audit over them, as `spillover audit` leaves."""
    from auditor.audit.comparison import compare_stored

    items = sample(load_bbq(bbq_lite).items, per_cell=24, seed=0)
    path = tmp_path_factory.mktemp("layers") / "runs.sqlite"
    with Store(path) as store:
        run_a, run_b = synthetic_runs(store, items)
        table = compare_stored(store, run_a, run_b, bbq=str(bbq_lite), n_boot=200).table
        audit_id = store.create_or_get_audit("layers-audit", {"name": "layers"})
        store.update_audit(
            audit_id,
            status="done",
            baseline_run=run_a,
            aligned_run=run_b,
            record={"table": table.to_dict(), "heldout_ids": []},
        )
    return path, audit_id, run_a, run_b


@pytest.mark.parametrize("command", ["compare", "gate", "items", "runs"])
def test_commands_over_stored_results_never_import_torch(stored_audit, bbq_lite, command):
    path, audit_id, run_a, run_b = stored_audit
    args = {
        "compare": ["compare", run_a, run_b, "--n-boot", "200", "--bbq", str(bbq_lite)],
        "gate": ["gate", audit_id, "--format", "json"],
        "items": ["items", run_a, "--against", run_b, "--limit", "3", "--bbq", str(bbq_lite)],
        "runs": ["runs"],
    }[command] + ["--store", str(path)]
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["exit"] in (0, 1), probe["output"]  # 1: the gate judged and failed
    assert probe["heavy"] == [], probe
