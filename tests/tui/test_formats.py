"""Format controls in the app: the trained-format, format-transfer and rotation views of
one audit, the bias-aligned gap as a column when it fits, the cloze stages and rotated
progress counted in orderings."""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import Static

from auditor.audit.profiles import load_profile
from auditor.core.events import ItemsScored, StageFinished, StageStarted
from auditor.reports.rich import gap_text
from auditor.reports.rotation import change_lines
from auditor.stats.transfer import cell_line, readings
from tui import SpilloverApp
from tui.screens.results import ResultsScreen
from tui.screens.run import RunScreen
from tui.widgets.spillover import SpilloverView

from .conftest import SIZE, plain, settle
from .data import PROFILES
from .fakes import wait_paused


def footer_keys(screen) -> list[str]:
    return [str(k.description) for k in screen.query("FooterKey")]


@pytest.mark.asyncio
async def test_v_switches_trained_transfer_and_rotation_views(backend, tui_data, formats):
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.push_screen(
            ResultsScreen(backend, formats.table, tui_data.run_a, tui_data.run_b, result=formats)
        )
        await settle(pilot)
        screen = app.screen
        view = screen.query_one(SpilloverView)
        line = lambda: plain(screen.query_one("#res-view", Static).content)  # noqa: E731
        assert "View" in footer_keys(screen)
        assert line().startswith("view: trained format · format transfer · rotation")
        assert view.table is formats.table and screen.view == "trained format"

        await pilot.press("v")
        await pilot.pause()
        assert screen.view == "format transfer" and view.table is formats.transfer
        view.move_cursor(row=1, column=3)  # Age × disambig accuracy
        await pilot.pause()
        stats = plain(screen.query_one("#cell-stats", Static).content, width=400)
        reading = cell_line(readings(formats.table, formats.transfer), "Age", "disambig")
        assert reading.startswith("accuracy: ") and f"format transfer: {reading}" in stats
        acc = formats.transfer.cell("Age", "disambig").accuracy
        assert f"b {acc.b:,} right→wrong" in stats
        assert "cloze format" in plain(screen.query_one("#res-caption", Static).content)
        heading = plain(screen.query_one("#res-title", Static).content, width=400)
        assert "base eval-cloze-base → aligned eval-cloze-aligned" in heading

        await pilot.press("v")
        await pilot.pause()
        assert screen.view == "rotation" and view.table is formats.table
        shown = plain(screen.query_one("#res-rotation", Static).content, width=1000)
        for expected in change_lines(formats.rotation):
            assert expected in shown
        assert "order consistency: 0.0% → 100.0%" in shown  # A always, then right always
        assert "A/B/C chosen 100.0/0.0/0.0%" in shown

        await pilot.press("v")
        await pilot.pause()
        assert screen.view == "trained format" and view.table is formats.table
        assert not screen.query_one("#res-rotation", Static).display
        heading = plain(screen.query_one("#res-title", Static).content, width=400)
        assert f"base {tui_data.run_a} → aligned {tui_data.run_b}" in heading


@pytest.mark.asyncio
async def test_an_audit_without_format_controls_has_one_view(backend, tui_data):
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.push_screen(
            ResultsScreen(
                backend, tui_data.table, tui_data.run_a, tui_data.run_b, result=tui_data.result
            )
        )
        await settle(pilot)
        assert "View" not in footer_keys(app.screen)
        await pilot.press("v")
        assert app.screen.view == "trained format"


@pytest.mark.asyncio
@pytest.mark.parametrize("size, fits", [((150, 40), True), ((80, 24), False)])
async def test_the_bias_aligned_gap_is_a_column_when_it_fits(backend, tui_data, size, fits):
    table = tui_data.table
    assert table.gaps
    app = SpilloverApp(backend)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await app.push_screen(ResultsScreen(backend, table, tui_data.run_a, tui_data.run_b))
        await settle(pilot)
        view = app.screen.query_one(SpilloverView)
        keys = [str(c.key.value) for c in view.ordered_columns]
        assert ("gap" in keys) is fits
        if not fits:
            return
        gaps = {g.attribute: g for g in table.gaps}
        for attribute in table.attributes:
            assert view.get_cell(attribute, "gap").plain == gap_text(gaps[attribute]).plain
        view.move_cursor(row=1, column=keys.index("gap"))
        await pilot.pause()
        stats = plain(app.screen.query_one("#cell-stats", Static).content, width=400)
        age = gaps["Age"]
        assert stats.startswith("Age × disambig  bias-aligned accuracy gap")
        assert f"biased {age.n_biased:,} / anti-biased {age.n_anti_biased:,} items" in stats
        assert view.chosen() == ("Age", "disambig")


@pytest.mark.asyncio
async def test_cloze_stages_and_rotated_progress_in_orderings(make_backend, tui_data):
    n = len(tui_data.items)
    events = [
        StageStarted("baseline", "evaluating the base model"),
        ItemsScored("r-base", 3 * n, 3 * n, 12.0, 0.0),
        StageFinished("baseline", detail="r-base"),
        StageStarted("baseline (cloze)", "format transfer: the baseline model in cloze"),
        ItemsScored("r-cloze", 64, n, 3.5, 125.0),
    ]
    backend = make_backend(
        pause_when=lambda e: isinstance(e, ItemsScored) and e.run_id == "r-cloze"
    )
    backend.events = events
    demo = load_profile(str(PROFILES / "demo.toml"))
    profile = dataclasses.replace(
        demo, eval=dataclasses.replace(demo.eval, orders="cyclic", transfer=("cloze",))
    )
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.push_screen(RunScreen(backend, profile))
        await wait_paused(pilot, backend)
        screen = app.screen
        stages = [
            line.split()[:4]
            for line in plain(screen.query_one("#stages", Static).content).splitlines()
        ]
        assert [s[:3] for s in stages] == [
            ["✓", "baseline", "eval"],
            ["▶", "baseline", "(cloze)"],
            ["○", "DPO", "alignment"],
            ["○", "aligned", "eval"],
            ["○", "aligned", "(cloze)"],
            ["○", "compare", "pending"],
        ]
        rows = plain(screen.query_one("#eval-progress", Static).content).splitlines()
        assert rows[0].split()[0] == "baseline"
        assert rows[0].split()[-3:] == [f"{3 * n:,}/{3 * n:,}", "orderings", "done"]
        assert rows[1].split()[:2] == ["baseline", "(cloze)"]
        assert rows[1].rstrip().endswith(f"64/{n} 3.5 items/s ETA 2m05s")  # one order each
        assert [r.split()[0] for r in rows[2:]] == ["aligned", "aligned"]
        assert "waiting" in rows[3]
        backend.resume.set()
        await settle(pilot)


@pytest.mark.asyncio
async def test_a_finished_audit_opens_its_format_views_from_the_run_screen(make_backend, formats):
    backend = make_backend()
    backend.result = formats
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        run = app.screen
        assert isinstance(run, RunScreen) and run.status == "done"
        assert "Format views" in footer_keys(run)
        assert "v: format views" in plain(run.query_one("#run-status", Static).content)
        await pilot.press("v")
        await settle(pilot)
        results = app.screen
        assert isinstance(results, ResultsScreen) and results.view == "format transfer"
        assert results.query_one(SpilloverView).table is formats.transfer
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is run
