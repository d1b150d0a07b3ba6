"""Stored audits and runs: the same table and drill-down, read back without recomputing."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static, Tabs

from auditor.audit.comparison import compare_stored
from auditor.audit.drilldown import item_rows
from auditor.audit.history import load_audit
from auditor.store.db import Store
from auditor.store.records import RunRecord
from tui import SpilloverApp
from tui.screens.drilldown import DrilldownScreen
from tui.screens.results import ResultsScreen
from tui.screens.run import RunScreen
from tui.widgets.spillover import SpilloverView

from .conftest import SIZE, plain, settle
from .data import MARKUP, MODEL_OUTPUT
from .fakes import at_step, wait_paused

pytestmark = [pytest.mark.asyncio, pytest.mark.heavy]  # heavy: scheduled first (conftest)


async def open_audit(pilot, audit_id: str) -> None:
    audits = pilot.app.screen.query_one("#audits", DataTable)
    audits.focus()
    audits.move_cursor(row=audits.get_row_index(audit_id))
    await pilot.press("enter")
    await settle(pilot)


async def test_a_stored_audit_opens_with_its_table_and_drills_down(backend, tui_data, monkeypatch):
    import auditor.stats.compare

    def no_statistics(*args, **kwargs):
        raise AssertionError("a stored audit must open without recomputing its table")

    monkeypatch.setattr(auditor.stats.compare, "compare_runs", no_statistics)
    monkeypatch.setattr(auditor.stats.compare, "compare_cell", no_statistics)
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_audit(pilot, tui_data.audit_id)
        results = app.screen
        assert isinstance(results, ResultsScreen)
        with Store(tui_data.store_path) as store:
            stored = load_audit(store, tui_data.audit_id)
        view = results.query_one(SpilloverView)
        assert view.table == stored.table == tui_data.table
        assert tui_data.audit_id in results.query_one("#res-title", Static).content.plain

        view.move_cursor(row=view.get_row_index("Age"), column=3)  # Age × disambig accuracy
        await pilot.press("enter")
        await settle(pilot)
        drill = app.screen
        assert isinstance(drill, DrilldownScreen)
        assert (drill.attribute, drill.context) == ("Age", "disambig")
        with Store(tui_data.store_path) as store:
            for show in ("all", "failing", "flipped"):
                expected = item_rows(
                    store,
                    tui_data.items,
                    tui_data.run_a,
                    tui_data.run_b,
                    attribute="Age",
                    context="disambig",
                    show=show,
                )
                if show != "all":
                    await pilot.press({"failing": "f", "flipped": "x"}[show])
                    await settle(pilot)
                assert drill.query_one("#dd-filter", Tabs).active == show
                assert [r.item.id for r in drill.rows] == [r.item.id for r in expected]
                table = drill.query_one("#dd-items", DataTable)
                assert table.row_count == len(expected) > 0
        assert all(r.status == "flipped_to_wrong" for r in drill.rows)  # Age was degraded
        detail = plain(drill.query_one("#dd-detail", Static).content)
        first = drill.rows[0].item
        assert first.question in detail and "flipped to wrong" in detail
        assert "✓ right" in detail and "✗ wrong" in detail
        await pilot.press("down")
        await pilot.pause()
        assert drill.rows[1].item.question in plain(drill.query_one("#dd-detail", Static).content)
        await pilot.press("escape")
        assert app.screen is results


async def test_markup_in_items_renders_literally_in_the_drill_down(backend, tui_data):
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_audit(pilot, tui_data.audit_id)
        view = app.screen.query_one(SpilloverView)
        view.move_cursor(row=0, column=1)  # the target × ambig
        await pilot.press("enter")
        await settle(pilot)
        drill = app.screen
        items = drill.query_one("#dd-items", DataTable)
        items.move_cursor(row=items.get_row_index(tui_data.markup_item))
        await pilot.pause()
        screen_text = plain(app.screen._compositor.render_update(full=True), width=SIZE[0])
        assert "[bold]Sam[/bold]" in screen_text
        assert "[link=https://evil.example]B[/link]" in screen_text
        detail = drill.query_one("#dd-detail", Static).content
        assert MARKUP.strip() in detail.plain and MODEL_OUTPUT in detail.plain


async def test_a_pair_of_stored_runs_compares_like_the_engine(backend, tui_data):
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        runs = app.screen.query_one("#runs", DataTable)
        runs.focus()
        await pilot.press("c")  # nothing marked yet
        runs.move_cursor(row=runs.get_row_index(tui_data.run_a))
        await pilot.press("b")
        runs.move_cursor(row=runs.get_row_index(tui_data.run_b))
        await pilot.press("a")
        assert app.screen.pair == {"a": tui_data.run_a, "b": tui_data.run_b}
        await pilot.press("c")
        await settle(pilot)
        results = app.screen
        assert isinstance(results, ResultsScreen)
        with Store(tui_data.store_path) as store:
            expected = compare_stored(
                store,
                tui_data.run_a,
                tui_data.run_b,
                bbq=str(tui_data.bbq),
                target=("Gender_identity",),
            ).table
        assert results.query_one(SpilloverView).table == expected
        assert (results.run_a, results.run_b) == (tui_data.run_a, tui_data.run_b)


async def test_an_unfinished_audit_resumes_with_its_stored_profile(make_backend, tui_data):
    backend = make_backend(pause_when=at_step(1))
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        audits = app.screen.query_one("#audits", DataTable)
        audits.focus()
        audits.move_cursor(row=audits.get_row_index(tui_data.cancelled_audit))
        await pilot.press("enter")
        await wait_paused(pilot, backend)
        assert isinstance(app.screen, RunScreen)
        profile = backend.profiles[0]
        assert (profile.name, profile.model.source) == ("ci", "my-org/candidate-model")
        assert profile.align.target == ("Race_ethnicity",)
        assert app.screen.query_one(SpilloverView).table.attributes[0] == "Race_ethnicity"


async def test_on_a_short_terminal_the_target_row_stays_in_view(backend, tui_data):
    app = SpilloverApp(backend)
    async with app.run_test(size=(150, 24)) as pilot:
        await settle(pilot)
        await open_audit(pilot, tui_data.audit_id)
        view = app.screen.query_one(SpilloverView)
        assert (view.fixed_rows, view.fixed_columns) == (1, 1)
        caption = app.screen.query_one("#res-caption", Static)
        assert view.region.bottom <= caption.region.y < app.size.height - 1  # caption in view
        view.move_cursor(row=len(tui_data.table.attributes) - 1, column=5)
        await pilot.pause()
        assert view.scroll_y > 0  # the table scrolled inside itself, not the screen
        lines = [view.render_line(y).text for y in range(view.region.height)]
        assert lines[0].split()[:2] == ["attribute", "ambig"]
        assert lines[2].startswith(" ◆ Gender_identity") and lines[3].split()[0] == "target"
        assert any(line.startswith(" Sexual_orientation") for line in lines[5:])


async def test_marking_acts_only_on_the_focused_runs_table_and_highlights_the_row(
    backend, tui_data
):
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        await pilot.press("b")  # focus is on the profiles: nothing is marked
        assert home.pair == {}
        assert "stored runs" in list(app._notifications)[-1].message
        runs = home.query_one("#runs", DataTable)
        runs.focus()
        runs.move_cursor(row=runs.get_row_index(tui_data.run_a))
        await pilot.press("b")
        assert home.pair == {"a": tui_data.run_a}
        assert runs.get_cell(tui_data.run_a, "pair").plain == "base"
        assert runs.get_cell(tui_data.run_b, "pair").plain == ""
        await pilot.press("a")  # the same run as both sides
        assert runs.get_cell(tui_data.run_a, "pair").plain == "both"
        await pilot.press("c")
        await settle(pilot)
        assert app.screen is home  # a run compared with itself is refused
        assert "same run" in list(app._notifications)[-1].message


async def test_a_run_is_complete_only_when_done_with_every_item():
    from tui.screens.stored import complete

    def run(status, done, total):
        return RunRecord("eval-x", "eval", "k", status, "", "", done=done, total=total)

    assert complete(run("done", 144, 144))
    assert not complete(run("done", 100, 144))
    assert not complete(run("running", 144, 144))


async def test_d_deletes_the_focused_audit_after_a_yes(make_backend, tui_data, tmp_path):
    import sqlite3

    from tui.screens.confirm import ConfirmScreen
    from tui.screens.home import HomeScreen

    copy = tmp_path / "runs.sqlite"  # the session's store stays whole for other tests
    with sqlite3.connect(tui_data.store_path) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    backend = make_backend()
    backend.store_path = copy
    with Store(copy) as store:
        before = {a.id for a in store.audits()}
    assert tui_data.audit_id in before
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        await pilot.press("d")  # focus is not on the audits: nothing happens
        assert isinstance(app.screen, HomeScreen)
        audits = home.query_one("#audits", DataTable)
        audits.focus()
        audits.move_cursor(row=audits.get_row_index(tui_data.audit_id))
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # no: kept
        assert isinstance(app.screen, HomeScreen)
        assert {a["id"] for a in home.audits} == before
        await pilot.press("d", "y")
        await settle(pilot)
        assert {a["id"] for a in home.audits} == before - {tui_data.audit_id}
        assert tui_data.audit_id not in [
            audits.get_row_at(i)[0].plain for i in range(audits.row_count)
        ]
        assert list(app._notifications)[-1].message.startswith(f"deleted {tui_data.audit_id}")


async def test_the_home_list_shows_the_error_of_a_failed_audit(make_backend, tui_data, tmp_path):
    import sqlite3

    copy = tmp_path / "runs.sqlite"
    with sqlite3.connect(tui_data.store_path) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    with Store(copy) as store:
        failed = store.create_or_get_audit("failed", {"name": "demo", "model": {"source": "/x"}})
        store.update_audit(
            failed,
            status="failed",
            record={"error": "model folder /x: not found;\npass --model DIR"},
        )
    backend = make_backend()
    backend.store_path = copy
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        audits = app.screen.query_one("#audits", DataTable)
        assert audits.get_cell(failed, "status").plain == "failed"
        assert (
            audits.get_cell(failed, "error").plain == "model folder /x: not found; pass --model DIR"
        )
        assert audits.get_cell(tui_data.audit_id, "error").plain == ""
