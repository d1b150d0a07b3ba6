"""A finished audit started again in the app is read from the store: no pipeline runs, no
torch is imported, and the run screen shows every stage stored with the table below the
panels (two of its rows at 80×24)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from textual.widgets import Static

from tui import SpilloverApp
from tui.screens.run import RunScreen
from tui.state import REUSED
from tui.widgets.spillover import ROW_HEIGHT, SpilloverView

from .conftest import plain, settle
from .data import PROFILES
from .fakes import ReplayBackend

HEAVY = ("torch", "transformers", "trl", "peft")


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), (150, 50)], ids=["80x24", "150x50"])
async def test_a_finished_audit_is_read_back_not_run(finished, size):
    profile, data, audit_id = finished
    backend = ReplayBackend(data, fail="the pipeline ran")
    try:
        app = SpilloverApp(backend, profile="demo")
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.app.push_screen(RunScreen(backend, profile))
            await settle(pilot)
            screen = pilot.app.screen
            assert backend.profiles == []  # run_audit was never called
            assert screen.status == "done" and screen.result.audit_id == audit_id
            assert all(s.status == REUSED for s in screen.progress.stages.values())
            assert screen.progress.stages["aligned"].detail == data.run_b
            view = screen.query_one(SpilloverView)
            assert view.table == data.table
            status = plain(screen.query_one("#run-status", Static).content)
            assert "read from the store" in status
            # the panels, then the table: its header and two whole rows on screen
            top = screen.query_one("#run-top").region
            body = screen.query_one("#run-body").region
            assert body.y >= top.bottom
            visible = view.region.intersection(body).intersection(screen.region)
            assert visible.height >= view.header_height + 2 * ROW_HEIGHT
    finally:
        backend.close()


PROBE = """
import json, sys
from auditor.audit.profiles import load_profile
from tui.backend import Backend
profile = load_profile(sys.argv[1])
result = Backend(sys.argv[2], sys.argv[3]).finished_audit(profile)
print(json.dumps({"audit": result.audit_id,
                  "heavy": sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[4:])}))
"""


def test_reading_it_back_imports_no_torch(finished):
    _, data, audit_id = finished
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            str(PROFILES / "demo.toml"),
            str(data.store_path),
            str(data.bbq),
            *HEAVY,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found == {"audit": audit_id, "heavy": []}
