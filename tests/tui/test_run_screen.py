"""The run screen driven by recorded engine events: live table, cancel, drill-down."""

from __future__ import annotations

import pytest

from auditor.stats.render import accuracy_text, bias_text
from auditor.stats.table import Cell
from tui import SpilloverApp
from tui.screens.drilldown import DrilldownScreen
from tui.screens.run import RunScreen
from tui.state import CANCELLED, DONE
from tui.widgets.spillover import SpilloverView

from .conftest import SIZE, settle
from .fakes import ReplayBackend

pytestmark = pytest.mark.asyncio


def shown(view: SpilloverView, attribute: str, key: str) -> str:
    return view.get_cell(attribute, key).plain


async def test_audit_fills_the_table_and_drills_down(backend, tui_data):
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RunScreen) and screen.status == "done"
        assert backend.profiles[0].name == "demo"
        assert all(s.status == DONE for s in screen.progress.stages.values())
        view = screen.query_one(SpilloverView)
        assert view.table == tui_data.table
        assert view.table.attributes[0] == "Gender_identity"
        assert shown(view, "Gender_identity", "attribute").startswith("◆ Gender_identity")
        for attribute in tui_data.table.attributes:
            for context in ("ambig", "disambig", "overall"):
                cell = tui_data.table.cell(attribute, context)
                assert shown(view, attribute, f"{context}/accuracy") == accuracy_text(cell.accuracy).plain
                if context != "overall":
                    assert shown(view, attribute, f"{context}/bias") == bias_text(cell.bias).plain
        gender = tui_data.table.cell("Gender_identity", "overall").accuracy
        assert gender.verdict == "improved" and gender.marker == "▲**"
        assert shown(view, "Gender_identity", "overall/accuracy").split("\n") == [
            "+100.0 pp ▲**", "0.0→100.0%", "improved"]
        assert shown(view, "Age", "overall/accuracy").endswith("degraded")

        view.focus()
        await pilot.press("enter")  # cursor on the target's attribute column
        await settle(pilot)
        drill = app.screen
        assert isinstance(drill, DrilldownScreen)
        assert drill.attribute == "Gender_identity" and drill.context is None
        assert len(drill.rows) == sum(i.attribute == "Gender_identity" for i in tui_data.items.values())
