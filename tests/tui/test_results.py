"""The results screen: the focused cell's statistics and exporting the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.widgets import DataTable, OptionList, Static

from auditor.cli import main
from auditor.reports.formats import APP_FORMATS, BY_NAME
from tui import SpilloverApp
from tui.screens.export import ExportScreen
from tui.screens.results import ResultsScreen
from tui.widgets.spillover import SpilloverView

from .conftest import SIZE, settle
from .data import PROFILES
from .test_history import open_audit

pytestmark = [pytest.mark.asyncio, pytest.mark.heavy]  # heavy: scheduled first (conftest)


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


def cli_audit_report(tui_data, tmp_path, monkeypatch, out: Path) -> None:
    """`spillover audit --output OUT` on a copy of the fixture's store, the pipeline
    replaced by reading the stored audit back (its runs are synthetic: nothing to train),
    so the command assembles and writes the report as it would after a run."""
    import shutil

    import auditor.audit.pipeline
    import auditor.audit.preflight
    import auditor.models.quiet
    from auditor.audit.history import load_audit

    store = tmp_path / "cli.sqlite"
    shutil.copy(tui_data.store_path, store)
    monkeypatch.setattr(auditor.audit.preflight, "preflight", lambda profile, bbq: None)
    monkeypatch.setattr(auditor.models.quiet, "quiet_hf", lambda: None)
    monkeypatch.setattr(
        auditor.audit.pipeline,
        "run_audit",
        lambda profile, *, store, **kw: load_audit(store, tui_data.audit_id),
    )
    done = CliRunner().invoke(
        main,
        [
            "audit",
            "--profile",
            str(PROFILES / "demo.toml"),
            "--bbq",
            str(tui_data.bbq),
            "--store",
            str(store),
            "--output",
            str(out),
        ],
    )
    assert done.exit_code == 0, done.output


async def export_from(app, pilot, fmt: str) -> None:
    results = app.screen
    await pilot.press("e")
    await pilot.pause()
    assert isinstance(app.screen, ExportScreen)
    formats = app.screen.query_one("#export-formats", OptionList)
    formats.highlighted = [
        formats.get_option_at_index(i).id for i in range(formats.option_count)
    ].index(fmt)
    await pilot.press("enter")
    await settle(pilot)
    assert app.screen is results


@pytest.mark.parametrize("fmt", [f.name for f in APP_FORMATS])
async def test_e_exports_the_audit_report_the_cli_writes_byte_for_byte(
    backend, tui_data, tmp_path, monkeypatch, fmt
):
    ext = BY_NAME[fmt].suffixes[0]
    monkeypatch.chdir(tmp_path)
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_audit(pilot, tui_data.audit_id)
        await export_from(app, pilot, fmt)
        written = tmp_path / f"spillover-{tui_data.audit_id}{ext}"
        assert written.exists()
        assert list(app._notifications)[-1].message == f"wrote {written}"
    cli_audit_report(tui_data, tmp_path, monkeypatch, tmp_path / f"cli{ext}")
    assert written.read_bytes() == (tmp_path / f"cli{ext}").read_bytes()
    report = json.loads(written.read_text(encoding="utf-8")) if fmt == "json" else None
    if report:  # the CLI's subject, not the app's former thinner one
        assert report["subject"]["profile"] == "demo"
        assert report["subject"]["train_run"] == tui_data.train_run


@pytest.mark.parametrize("fmt", ["json", "html"])
async def test_e_exports_two_runs_as_spillover_compare_writes_them(
    backend, tui_data, tmp_path, monkeypatch, fmt
):
    ext = BY_NAME[fmt].suffixes[0]
    monkeypatch.chdir(tmp_path)
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        runs = app.screen.query_one("#runs", DataTable)
        runs.focus()
        runs.move_cursor(row=runs.get_row_index(tui_data.run_a))
        await pilot.press("b")
        runs.move_cursor(row=runs.get_row_index(tui_data.run_b))
        await pilot.press("a")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ResultsScreen)
        await export_from(app, pilot, fmt)
    written = tmp_path / f"spillover-{tui_data.run_a}-vs-{tui_data.run_b}{ext}"
    cli = tmp_path / f"cli{ext}"
    done = CliRunner().invoke(
        main,
        [
            "compare",
            tui_data.run_a,
            tui_data.run_b,
            "--bbq",
            str(tui_data.bbq),
            "--store",
            str(tui_data.store_path),
            "--output",
            str(cli),
        ],
    )
    assert done.exit_code == 0, done.output
    assert written.read_bytes() == cli.read_bytes()


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
