"""A finished audit whose trained adapter is missing (its store moved without audits/):
the app asks, retrain or point to the adapter, and never retrains silently. The engine's
side is tested on a real audit in tests/auditor/audit/test_preflight.py."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from auditor.audit.preflight import MissingAdapter
from tui import SpilloverApp
from tui.screens.adapter import MissingAdapterScreen
from tui.screens.run import RunScreen
from tui.state import CANCELLED

from .conftest import SIZE, settle

pytestmark = pytest.mark.asyncio


@pytest.fixture
def missing(make_backend, tmp_path):
    problem = MissingAdapter(
        "audit-1",
        "train-1",
        tmp_path / "audits" / "a" / "adapter",
        "/old/home/audits/a/alignment/adapter",
    )
    return make_backend(missing=problem)


async def ask(pilot) -> MissingAdapterScreen:
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)
    modal = pilot.app.screen
    assert isinstance(modal, MissingAdapterScreen)
    return modal


async def test_it_asks_before_anything_runs_and_retrains_only_when_told(missing):
    app = SpilloverApp(missing, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        modal = await ask(pilot)
        said = " ".join(str(getattr(s.content, "plain", s.content)) for s in modal.query(Static))
        assert "train-1" in said and "/old/home/audits/a/alignment/adapter" in said
        assert missing.reported == 0 and missing.choices == [{}]
        await pilot.click("#retrain")
        await settle(pilot)
        run = app.screen
        assert isinstance(run, RunScreen) and run.status == "done"
    assert missing.choices == [{}, {"retrain_missing": True}]


async def test_pointing_to_the_adapter_restores_it(missing, tmp_path):
    app = SpilloverApp(missing, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        modal = await ask(pilot)
        path = modal.query_one("#adapter-path", Input)
        assert path.value == "/old/home/audits/a/alignment/adapter"  # where it was
        path.value = str(tmp_path / "moved" / "adapter")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.status == "done"
    assert missing.choices[-1] == {"restore_adapter_from": str(tmp_path / "moved" / "adapter")}


async def test_escape_leaves_the_audit_as_it_was(missing):
    app = SpilloverApp(missing, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot)
        await pilot.press("escape")
        await settle(pilot)
        run = app.screen
        assert isinstance(run, RunScreen) and run.status == CANCELLED
        assert "not resumed" in run.query_one("#run-status", Static).content.plain
    assert missing.choices == [{}] and missing.reported == 0
