"""The app on a study-shaped store (a reduced copy: 360 items an evaluation over every
attribute, two seed replicates, option rotation, the cloze transfer): its results
screen at 80x24 and 160x48, with its table and key hints at the smaller size too."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Footer

from tests.fixtures.study_store import build_study_store
from tui import SpilloverApp
from tui.backend import Backend
from tui.screens.results import ResultsScreen
from tui.widgets.spillover import SpilloverView

from .conftest import plain, settle
from .data import FROZEN_NOW

ITEMS = 360


@pytest.fixture(scope="module")
def study(tmp_path_factory, bbq_lite):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("auditor.store.db._now", lambda: FROZEN_NOW)
        return build_study_store(
            tmp_path_factory.mktemp("study") / "runs.sqlite", bbq_lite, items=ITEMS, n_boot=200
        )


@pytest.fixture
def study_backend(study, bbq_lite, monkeypatch):
    from pathlib import Path

    monkeypatch.setattr(Backend, "store_location", property(lambda self: Path("/data/runs.sqlite")))
    backend = Backend(study.store_path, str(bbq_lite))
    yield backend
    backend.close()


async def _open_study(pilot, study) -> None:
    await settle(pilot)
    audits = pilot.app.screen.query_one("#audits", DataTable)
    audits.focus()
    audits.move_cursor(row=audits.get_row_index(study.audit_id))
    await pilot.press("enter")
    await settle(pilot)
    for widget in pilot.app.screen.query("Input"):
        widget.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_study_results(snap_compare, study_backend, study, size):
    async def run_before(pilot):
        await _open_study(pilot, study)

    assert snap_compare(SpilloverApp(study_backend), terminal_size=size, run_before=run_before)


@pytest.mark.asyncio
async def test_the_study_keeps_its_table_and_key_hints_at_80x24(study_backend, study):
    app = SpilloverApp(study_backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_study(pilot, study)
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        view = screen.query_one(SpilloverView)
        assert view.row_count >= 9 and view.region.height >= 3 and view.region.width > 40
        footer = screen.query_one(Footer)
        assert footer.region.height == 1 and footer.region.bottom == 24
        shown = plain(screen._compositor.render_update(full=True), width=80)
        assert "Items of cell" in shown and "esc Back" in shown, shown
        assert study.audit_id in shown and "Gender_identity" in shown, shown
