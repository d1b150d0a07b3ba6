"""Each worker result travels in its own message class, handled by its own method (no
string dispatch): history loaded, audit opened or checked, audit deleted, runs compared,
items loaded, load failed."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Button, DataTable

from tui import SpilloverApp, messages
from tui.screens.drilldown import DrilldownScreen
from tui.screens.home import HomeScreen
from tui.screens.results import ResultsScreen

from .conftest import SIZE, settle

pytestmark = pytest.mark.asyncio

HOME = (
    "HistoryLoaded",
    "AuditOpened",
    "AuditChecked",
    "AuditDeleted",
    "RunsCompared",
    "LoadFailed",
)


def handler(name: str) -> str:
    return "on_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


async def test_every_result_has_its_class_and_its_handler():
    assert not hasattr(messages, "Loaded")
    for name in HOME:
        assert hasattr(HomeScreen, handler(name)), name
    for name in ("ItemsLoaded", "LoadFailed"):
        assert hasattr(DrilldownScreen, handler(name)), name


async def test_a_compare_result_opens_the_table_and_a_failure_stops_the_spinners(backend, tui_data):
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        runs = home.query_one("#runs", DataTable)
        start = home.query_one("#start", Button)
        runs.loading = start.loading = True
        home.post_message(messages.LoadFailed("pair", "no run eval-x"))
        home.post_message(messages.LoadFailed("check", "model /x: no such folder"))
        await pilot.pause()
        assert not runs.loading and not start.loading
        shown = [n.message for n in app._notifications]
        assert shown[-2:] == ["no run eval-x", "model /x: no such folder"]
        runs.loading = True
        home.post_message(messages.RunsCompared(tui_data.table, tui_data.run_a, tui_data.run_b))
        await settle(pilot)
        assert isinstance(app.screen, ResultsScreen) and not runs.loading
        assert (app.screen.run_a, app.screen.run_b) == (tui_data.run_a, tui_data.run_b)
