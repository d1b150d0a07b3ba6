"""The drill-down's keys on a stored audit: sort, search, filter by flip, copy."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from tui import SpilloverApp
from tui.widgets.spillover import SpilloverView

from .conftest import SIZE, settle
from .data import MARKUP
from .test_history import open_audit

pytestmark = pytest.mark.asyncio


async def _drill(pilot, tui_data, column: int = 0):
    await settle(pilot)
    await open_audit(pilot, tui_data.audit_id)
    pilot.app.screen.query_one(SpilloverView).move_cursor(row=0, column=column)
    await pilot.press("enter")
    await settle(pilot)
    return pilot.app.screen


def _ids(table: DataTable) -> list[str]:
    return [table.get_row_at(i)[0].plain for i in range(table.row_count)]


async def test_drill_down_sorts_ids_as_numbers_and_by_a_clicked_column(backend, tui_data):
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        drill = await _drill(pilot, tui_data)
        items = drill.query_one("#dd-items", DataTable)
        ids = [int(i) for i in _ids(items)]
        assert len(ids) > 3 and len({len(str(i)) for i in ids}) > 1  # ids of mixed length
        assert ids == sorted(ids)
        drill.post_message(
            DataTable.HeaderSelected(
                items, items.ordered_columns[-1].key, 4, label=items.ordered_columns[-1].label
            )
        )
        await pilot.pause()
        statuses = [items.get_row_at(i)[-1].plain for i in range(items.row_count)]
        assert statuses == sorted(statuses) and drill.sort_by == "status"
        drill.post_message(
            DataTable.HeaderSelected(
                items, items.ordered_columns[-1].key, 4, label=items.ordered_columns[-1].label
            )
        )
        await pilot.pause()
        statuses = [items.get_row_at(i)[-1].plain for i in range(items.row_count)]
        assert statuses == sorted(statuses, reverse=True)


async def test_slash_searches_ids_and_text_and_the_count_says_one_item(backend, tui_data):
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        drill = await _drill(pilot, tui_data)
        items = drill.query_one("#dd-items", DataTable)
        total = items.row_count
        target = drill.shown[0].item
        await pilot.press("slash")
        await pilot.pause()
        search = drill.query_one("#dd-search")
        assert search.has_focus
        await pilot.press(*str(target.example_id))
        await pilot.pause()
        assert str(target.example_id) in _ids(items) and items.row_count < total
        assert all(
            str(target.example_id) in r.item.id or str(target.example_id) in r.item.context
            for r in drill.shown
        )
        search.value = "SAM[/BOLD] WROTE"  # the markup item's context, any case
        await pilot.pause()
        assert [r.item.id for r in drill.shown] == [tui_data.markup_item]
        assert drill.query_one("#dd-count", Static).content.plain.startswith("1 item (")
        await pilot.press("enter")
        assert items.has_focus


async def test_drill_down_filters_each_flip_direction(backend, tui_data):
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        drill = await _drill(pilot, tui_data)
        for key, status in (("w", "flipped_to_wrong"), ("r", "flipped_to_right")):
            await pilot.press(key)
            await settle(pilot)
            assert drill.filter == status
            assert {r.status for r in drill.shown} <= {status}
            expected = [r for r in drill.rows if r.status == status]
            assert len(drill.shown) == len(expected)


async def test_y_copies_the_highlighted_item_as_plain_text(backend, tui_data):
    from tui.itemtext import item_text

    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        drill = await _drill(pilot, tui_data)
        items = drill.query_one("#dd-items", DataTable)
        items.move_cursor(row=items.get_row_index(tui_data.markup_item))
        await pilot.press("y")
        await pilot.pause()
        row = next(r for r in drill.shown if r.item.id == tui_data.markup_item)
        assert app.clipboard == item_text(row).plain
        assert MARKUP.strip() in app.clipboard  # brackets as written
