"""`spillover compare` and `gate RUN_A RUN_B` resolve each run id prefix once."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.store.db import Store

from ..audit_fixtures import synthetic_runs


@pytest.mark.parametrize("command", ["compare", "gate"])
def test_each_prefix_is_resolved_once(command, tmp_path, lite_items, bbq_lite, monkeypatch):
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        run_a, run_b = synthetic_runs(store, list(lite_items)[:150])
    listed = []
    original = Store.runs

    def counted(self, kind=None):
        listed.append(kind)
        return original(self, kind)

    monkeypatch.setattr(Store, "runs", counted)
    out = CliRunner().invoke(main, [command, run_a[:9], run_b[:9], "--store", str(path),
                                    "--bbq", str(bbq_lite), "--format", "json"])
    assert out.exit_code in (0, 1), out.output
    report = json.loads(out.stdout)
    assert report["subject"]["before"] == run_a[:9]  # the subject names them as typed
    assert len(listed) == 2  # one listing of the runs per prefix, none after
