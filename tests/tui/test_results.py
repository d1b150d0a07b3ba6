"""The results screen: the focused cell's statistics and exporting the table."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList, Static

from auditor.reports.document import Report
from auditor.reports.formats import render_report
from tui import SpilloverApp
from tui.screens.export import ExportScreen
from tui.screens.results import ResultsScreen
from tui.widgets.spillover import SpilloverView

from .conftest import SIZE, settle
from .test_history import open_audit

pytestmark = pytest.mark.asyncio


async def test_the_focused_cell_shows_its_counts_tests_and_p_values(backend, tui_data):
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_audit(pilot, tui_data.audit_id)
        results = app.screen
        assert isinstance(results, ResultsScreen)
        view = results.query_one(SpilloverView)
        view.move_cursor(row=1, column=1)  # Age × ambig accuracy
        await pilot.pause()
        acc = tui_data.table.cell("Age", "ambig").accuracy
        stats = results.query_one("#cell-stats", Static).content.plain
        assert stats.startswith("Age × ambig  accuracy")
        assert f"n {acc.n:,} paired items" in stats and f"b {acc.b:,} right→wrong" in stats
        assert f"c {acc.c:,} wrong→right" in stats
        assert f"McNemar {tui_data.table.accuracy_test}" in stats and "holm-corrected p" in stats
        view.move_cursor(row=1, column=2)  # Age × ambig bias
        await pilot.pause()
        bias = tui_data.table.cell("Age", "ambig").bias
        stats = results.query_one("#cell-stats", Static).content.plain
        assert stats.startswith("Age × ambig  bias score")
        assert f"{bias.n_boot:,} resamples" in stats and f"{bias.n_clusters:,} clusters" in stats


@pytest.mark.parametrize("fmt, ext", [("markdown", "md"), ("csv", "csv"), ("json", "json"),
                                      ("junit", "xml")])
async def test_e_exports_the_table_with_the_cli_writers_and_says_where(
        backend, tui_data, tmp_path, monkeypatch, fmt, ext):
    monkeypatch.chdir(tmp_path)
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_audit(pilot, tui_data.audit_id)
        results = app.screen
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        formats = app.screen.query_one("#export-formats", OptionList)
        formats.highlighted = [formats.get_option_at_index(i).id
                               for i in range(formats.option_count)].index(fmt)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is results
        written = tmp_path / f"spillover-{tui_data.audit_id}.{ext}"
        assert written.exists()
        subject = {"title": tui_data.audit_id, "before": results.run_a, "after": results.run_b}
        expected = render_report(Report(results.table, subject), fmt)
        assert written.read_text(encoding="utf-8").rstrip("\n") == expected.rstrip("\n")
        assert list(app._notifications)[-1].message == f"wrote {written}"


async def test_the_command_palette_offers_the_screens_own_commands(backend, tui_data):
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home_titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Start audit", "Compare marked runs", "Delete audit"} <= set(home_titles)
        assert "Export table" not in home_titles and "Cancel audit" not in home_titles
        await open_audit(pilot, tui_data.audit_id)
        assert "Export table" in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Export table")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)


async def test_scrolling_sideways_at_80_columns_never_cuts_a_column_in_two(backend, tui_data):
    """A column cut on its left loses its sign (`083` for `-0.083`): stop at column edges."""
    from .conftest import plain

    app = SpilloverApp(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_audit(pilot, tui_data.audit_id)
        view = app.screen.query_one(SpilloverView)
        view.focus()
        widths = [column.get_render_width(view) for column in view.ordered_columns[1:]]
        starts = [sum(widths[:i]) for i in range(len(widths))]  # where each column begins
        assert view.column_starts() == starts
        seen = set()
        for key in ["right"] * 5 + ["left"] * 5:
            await pilot.press(key)
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            assert view.scroll_x in starts, (key, view.scroll_x, starts)
            seen.add(view.scroll_x)
            first = starts.index(view.scroll_x) + 1  # the first column shown after the fixed one
            key_of = view.ordered_columns[first].key
            head = view.get_cell("Gender_identity", key_of).plain.splitlines()[0].strip()
            screen = plain(app.screen._compositor.render_update(full=True), width=80)
            assert head in screen  # whole, sign and all
        assert len(seen) > 1 and view.scroll_x == 0
