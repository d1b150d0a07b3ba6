"""Screenshots of the main screens (pytest-textual-snapshot), at a fixed size, with fixed
data, frozen store timestamps and no cursor blink. Update with --snapshot-update."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from tui import SpilloverApp
from tui.widgets.spillover import SpilloverView

from .conftest import settle
from .fakes import at_step, wait_paused

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)


@pytest.fixture(autouse=True)
def fixed_store_path(monkeypatch):
    """The store's temporary folder changes every session: screenshots show a fixed one."""
    from pathlib import Path

    from tui.backend import Backend

    monkeypatch.setattr(Backend, "store_location", property(lambda self: Path("/data/runs.sqlite")))


SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


async def _still(pilot) -> None:
    """Workers done, messages handled, and no blinking cursor left to change a pixel."""
    await settle(pilot)
    for widget in pilot.app.screen.query("Input"):
        widget.cursor_blink = False
    await pilot.pause()


@SIZES
def test_home(snap_compare, backend, size):
    assert snap_compare(
        SpilloverApp(backend, profile="demo"), terminal_size=size, run_before=_still
    )


@SIZES
def test_run_mid_training(snap_compare, make_backend, size):
    backend = make_backend(pause_when=at_step(7))

    async def run_before(pilot):
        await _still(pilot)
        await pilot.press("s")
        await wait_paused(pilot, backend)

    assert snap_compare(
        SpilloverApp(backend, profile="demo"), terminal_size=size, run_before=run_before
    )


async def _open_results(pilot, data) -> None:
    await _still(pilot)
    audits = pilot.app.screen.query_one("#audits", DataTable)
    audits.focus()
    audits.move_cursor(row=audits.get_row_index(data.audit_id))
    await pilot.press("enter")
    await settle(pilot)


@SIZES
def test_results(snap_compare, backend, tui_data, size):
    async def run_before(pilot):
        await _open_results(pilot, tui_data)
        pilot.app.screen.query_one(SpilloverView).move_cursor(row=1, column=5)

    assert snap_compare(SpilloverApp(backend), terminal_size=size, run_before=run_before)


@SIZES
def test_drilldown_flipped(snap_compare, backend, tui_data, size):
    async def run_before(pilot):
        await _open_results(pilot, tui_data)
        pilot.app.screen.query_one(SpilloverView).move_cursor(row=0, column=1)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        items = pilot.app.screen.query_one("#dd-items", DataTable)
        items.move_cursor(row=items.get_row_index(tui_data.markup_item))

    assert snap_compare(SpilloverApp(backend), terminal_size=size, run_before=run_before)


@SIZES
def test_missing_adapter(snap_compare, make_backend, tmp_path, size):
    from pathlib import Path

    from auditor.audit.preflight import MissingAdapter

    problem = MissingAdapter(
        "audit-ca53ec5b2ef39e46",
        "train-5d1f0e2a9c4b7e31",
        Path("/data/audits/audit-ca53ec5b2ef39e46/alignment/adapter"),
        "/old/home/audits/audit-ca53ec5b2ef39e46/alignment/adapter",
    )
    backend = make_backend(missing=problem)

    async def run_before(pilot):
        await _still(pilot)
        await pilot.press("s")
        await _still(pilot)

    assert snap_compare(
        SpilloverApp(backend, profile="demo"), terminal_size=size, run_before=run_before
    )


@SIZES
def test_run_seeds_mid_training(snap_compare, make_backend, seeded, size):
    """Seed 1 of 3 training: the tracker's per-seed marks, the panel's seed and keys."""
    from auditor.core.events import TrainStep
    from tui.screens.run import RunScreen

    from .controls import nth

    backend = make_backend(pause_when=nth(TrainStep, lambda e: e.step == 5, 2))
    backend.events, backend.result = seeded.events, seeded.result

    async def run_before(pilot):
        await _still(pilot)
        await pilot.app.push_screen(RunScreen(backend, seeded.profile))
        await wait_paused(pilot, backend)

    assert snap_compare(
        SpilloverApp(backend, profile="demo"), terminal_size=size, run_before=run_before
    )


@SIZES
def test_results_format_transfer(snap_compare, backend, tui_data, formats, size):
    """The format-transfer view: its view line, the cloze table, the cell's reading."""
    from tui.screens.results import ResultsScreen

    async def run_before(pilot):
        await _still(pilot)
        await pilot.app.push_screen(
            ResultsScreen(backend, formats.table, tui_data.run_a, tui_data.run_b, result=formats)
        )
        await settle(pilot)
        await pilot.press("v")
        pilot.app.screen.query_one(SpilloverView).move_cursor(row=1, column=3)

    assert snap_compare(SpilloverApp(backend), terminal_size=size, run_before=run_before)


@SIZES
def test_run_finished_read_from_store(snap_compare, finished, size):
    """A finished audit started again: read from the store, every stage stored, and the
    table given the room under the panels (two of its rows at 80×24)."""
    from tui.screens.run import RunScreen

    from .fakes import ReplayBackend

    profile, data, _ = finished
    backend = ReplayBackend(data, fail="the pipeline ran")

    async def run_before(pilot):
        await _still(pilot)
        await pilot.app.push_screen(RunScreen(backend, profile))
        await _still(pilot)

    try:
        assert snap_compare(
            SpilloverApp(backend, profile="demo"), terminal_size=size, run_before=run_before
        )
    finally:
        backend.close()


@SIZES
def test_run_two_candidates_read_from_store(snap_compare, two_candidates, size):
    """A candidate audit of two, finished earlier: the list of candidates with their
    verdicts above the table, the worst one shown."""
    from tui.screens.run import RunScreen

    from .fakes import ReplayBackend

    backend = ReplayBackend(two_candidates.data, fail="the pipeline ran")

    async def run_before(pilot):
        await _still(pilot)
        await pilot.app.push_screen(RunScreen(backend, two_candidates.profile))
        await _still(pilot)

    try:
        assert snap_compare(SpilloverApp(backend), terminal_size=size, run_before=run_before)
    finally:
        backend.close()


@SIZES
def test_results_two_candidates_list_open(snap_compare, two_candidates, size):
    """A stored candidate opened from the history: the other candidate in the list, the
    list opened."""
    from .fakes import ReplayBackend
    from .test_history import open_audit

    backend = ReplayBackend(two_candidates.data)

    async def run_before(pilot):
        await _still(pilot)
        await open_audit(pilot, two_candidates.results[1].audit_id)
        await _still(pilot)
        pilot.app.screen.query_one("#candidates").focus()
        await pilot.press("enter")
        await _still(pilot)

    try:
        assert snap_compare(SpilloverApp(backend), terminal_size=size, run_before=run_before)
    finally:
        backend.close()
