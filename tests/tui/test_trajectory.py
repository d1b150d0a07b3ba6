"""The trajectory view: ``t`` on an audit with a trajectory opens Δ per cell per step, with
the step each cell first degraded; an audit without one offers no ``t``."""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import DataTable

from auditor.core.answers import Answer
from auditor.stats import compare_runs
from tui import SpilloverApp
from tui.screens.results import ResultsScreen
from tui.screens.trajectory import TrajectoryScreen

from .conftest import SIZE, settle
from .data import answers

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def with_trajectory(tui_data):
    """The fixture audit with two checkpoints: step 10 answers as the baseline, step 20
    answers every Physical_appearance item with its biased option; the audit's own table
    is the final point (step 30), on the fixture's first answers."""
    items = list(tui_data.items.values())
    first, _ = answers(items, tui_data.markup_item)
    pa = [i.attribute == "Physical_appearance" and i.roles is not None for i in items]
    before = [  # right on every Physical_appearance item, then its biased option
        Answer(a.item_id, i.label, a.scores) if bad else a
        for a, i, bad in zip(first, items, pa, strict=True)
    ]
    worse = [
        Answer(a.item_id, i.roles.biased, a.scores) if bad else a
        for a, i, bad in zip(before, items, pa, strict=True)
    ]
    attributes = ("Gender_identity", "Age", "Physical_appearance")  # a family 16 items can fail
    kwargs = dict(target=("Gender_identity",), attributes=attributes, n_boot=200, seed=0)
    tables = {10: compare_runs(tui_data.items, before, before, **kwargs)}
    tables[20] = compare_runs(tui_data.items, before, worse, **kwargs)
    stored = {
        "final_step": 30,
        "points": [
            {"step": s, "run": f"eval-{s}", "table": t.to_dict()} for s, t in tables.items()
        ],
    }
    final = compare_runs(tui_data.items, before, first, **kwargs)  # step 30: back to the start
    return dataclasses.replace(tui_data.result, table=final, trajectory=stored), tables


def plain(text) -> str:
    return text.plain if hasattr(text, "plain") else str(text)


def keys(screen) -> list[str]:
    return [str(k.description) for k in screen.query("FooterKey")]


async def test_t_opens_the_trajectory_of_an_audit(backend, tui_data, with_trajectory):
    result, tables = with_trajectory
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.push_screen(
            ResultsScreen(backend, result.table, tui_data.run_a, tui_data.run_b, result=result)
        )
        await settle(pilot)
        assert "Trajectory" in keys(app.screen)
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrajectoryScreen)
        grid = screen.query_one(DataTable)
        headers = [plain(c.label) for c in grid.columns.values()]
        assert headers == ["cell", "step 10", "step 20", "step 30 (final)", "first degraded"]
        assert grid.row_count == len(result.table.attributes) * 5
        degraded = [
            (c.attribute, c.context, metric)
            for row in tables[20].rows
            for c in row.cells
            for metric in ("accuracy", "bias")
            if getattr(c, metric).verdict == "degraded"
        ]
        assert degraded  # the fixture's degradation is seen at step 20
        for attribute, context, metric in degraded:
            row = grid.get_row(f"{attribute}/{context}/{metric}")
            delta = getattr(tables[20].cell(attribute, context), metric).delta
            shown = f"{100 * delta:+.1f} pp" if metric == "accuracy" else f"{delta:+.3f}"
            assert plain(row[2]).startswith(shown) and plain(row[-1]) == "20"
        assert plain(grid.get_row("Age/ambig/accuracy")[1]) == "+0.0 pp"  # step 10: no change
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ResultsScreen)


async def test_no_trajectory_no_key(backend, tui_data):
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        result = tui_data.result
        await app.push_screen(
            ResultsScreen(backend, result.table, tui_data.run_a, tui_data.run_b, result=result)
        )
        await settle(pilot)
        assert "Trajectory" not in keys(app.screen)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ResultsScreen)


async def test_the_apps_export_holds_the_trajectory(backend, tui_data, with_trajectory, tmp_path):
    import json

    from tui.screens.export import export_report

    result, _ = with_trajectory
    stored = json.loads(json.dumps(result.profile))  # as the store gives it back: lists
    result = dataclasses.replace(result, profile=stored)
    args = (backend, "json", result.audit_id, tui_data.run_a, tui_data.run_b)
    path = export_report(*args, result=result, folder=tmp_path)
    traj = json.loads(path.read_text())["trajectory"]
    assert traj["steps"] == [10, 20, 30] and traj["final_step"] == 30
    md = export_report(backend, "markdown", *args[2:], result=result, folder=tmp_path)
    assert "### Spillover over training" in md.read_text()


async def test_t_on_the_finished_run_screen_opens_it_too(backend, with_trajectory):
    from tui.screens.run import RunScreen

    from .test_run_screen import start_audit

    result, _ = with_trajectory
    backend.results = (result,)  # the run ends with the audit that has a trajectory
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_audit(pilot)
        assert isinstance(screen, RunScreen) and screen.status == "done"
        assert "Trajectory" in keys(screen)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TrajectoryScreen)
        assert app.screen.trajectory.steps == (10, 20, 30)
