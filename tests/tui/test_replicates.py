"""Seed replicates in the app: each seed's stages as they finish, each seed's curves
behind ``[``/``]``, each seed's own table before the pooled one, and a cell's statistics
listing every seed's Δ and p, the agreement and the MDE."""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import Static

from auditor.core.events import (
    CellUpdated,
    StageFinished,
    StageStarted,
    TrainStep,
)
from tui import SpilloverApp
from tui.screens.results import ResultsScreen
from tui.screens.run import RunScreen
from tui.state import DONE, PENDING, REUSED, RUNNING
from tui.widgets.spillover import SpilloverView
from tui.widgets.training import TrainingPanel

from .conftest import SIZE, plain, settle
from .controls import nth
from .fakes import wait_paused


def test_the_engine_reports_each_seeds_own_cells_before_the_pooled_ones(seeded):
    tags = [e.seed for e in seeded.cells]
    per_table = len(seeded.result.table.attributes) * 3
    assert tags == [0] * per_table + [1] * per_table + [2] * per_table + [None] * per_table


async def run_seeded(pilot, backend, seeded) -> RunScreen:
    backend.events, backend.result = seeded.events, seeded.result
    await settle(pilot)
    await pilot.app.push_screen(RunScreen(backend, seeded.profile))  # mounted: the worker runs
    await wait_paused(pilot, backend)
    return pilot.app.screen


def stage_line(screen, label: str) -> str:
    lines = plain(screen.query_one("#stages", Static).content).splitlines()
    return next(line for line in lines if label in line)


@pytest.mark.asyncio
async def test_seeds_stages_and_curves_as_they_run(make_backend, seeded):
    backend = make_backend(pause_when=nth(TrainStep, lambda e: e.step == 5, 2))  # seed 1
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        screen = await run_seeded(pilot, backend, seeded)
        align, aligned = screen.progress.stages["align"], screen.progress.stages["aligned"]
        assert align.seeds == {0: DONE, 1: RUNNING, 2: PENDING} and align.status == RUNNING
        assert aligned.seeds == {0: DONE, 1: PENDING, 2: PENDING}
        assert "0✓ 1▶ 2○" in stage_line(screen, "DPO alignment")
        assert "0✓ 1○ 2○" in stage_line(screen, "aligned eval")
        panel = screen.query_one(TrainingPanel)
        assert str(panel.border_title) == "DPO training · seed 1 (2 of 3)"
        figures = plain(screen.query_one("#train-figures", Static).content)
        assert figures.split()[:2] == ["step", "5/8"]
        keys = await footer_keys(pilot, screen)
        assert "Prev seed" in keys and "Next seed" in keys

        await pilot.press("left_square_bracket")  # seed 0's finished curve
        await pilot.pause()
        assert str(panel.border_title) == "DPO training · seed 0 (1 of 3)"
        figures = plain(screen.query_one("#train-figures", Static).content)
        assert figures.split()[:2] == ["step", "8/8"] and "loss 0.6200" in figures
        await pilot.press("right_square_bracket", "right_square_bracket")  # 1, then 2
        await pilot.pause()
        assert str(panel.border_title) == "DPO training · seed 2 (3 of 3)"
        assert "waiting for the first training step" in plain(
            screen.query_one("#train-figures", Static).content
        )
        backend.resume.set()
        await settle(pilot)
        assert screen.status == "done"
        assert all(v == DONE for v in align.seeds.values()) and align.status == DONE
        assert {s: len(v) for s, v in screen.progress.trains.items()} == {0: 8, 1: 8, 2: 8}


def plain_footer(screen) -> str:
    from textual.widgets import Footer

    footer = screen.query_one(Footer)
    return " ".join(str(getattr(k, "description", "")) for k in footer.query("FooterKey"))


async def footer_keys(pilot, screen) -> str:
    """The footer's keys once it has drawn them: it recomposes after a refresh, which a
    busy machine may not have reached when the paused worker is seen (up to 5 s)."""
    for _ in range(250):
        if keys := plain_footer(screen):
            return keys
        await pilot.pause(0.02)
    return plain_footer(screen)


@pytest.mark.asyncio
async def test_each_seeds_table_fills_then_the_pooled_one(make_backend, seeded, tui_data):
    backend = make_backend(pause_when=nth(CellUpdated, lambda e: e.seed == 1, 4))
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        screen = await run_seeded(pilot, backend, seeded)
        view = screen.query_one(SpilloverView)
        assert view.table is screen.progress.seed_tables[1]
        assert len([c for r in view.table.rows for c in r.cells]) == 4
        assert all(not c.accuracy.seeds for r in view.table.rows for c in r.cells)
        seed0 = screen.progress.seed_tables[0]
        assert len([c for r in seed0.rows for c in r.cells]) == len(seed0.attributes) * 3
        caption = plain(screen.query_one("#run-caption", Static).content)
        assert caption.startswith("Seed 1's own table against the baseline (2 of 3)")
        assert not screen.progress.table.rows  # the pooled table comes last
        backend.resume.set()
        await settle(pilot)
        assert screen.status == "done" and view.table == seeded.result.table
        assert view.table.cell("Gender_identity", "overall").accuracy.seeds


@pytest.mark.asyncio
async def test_reused_seeds_show_stored(make_backend, seeded):
    events = [
        e
        if not isinstance(e, StageFinished) or e.stage != "align"
        else dataclasses.replace(e, skipped=True)
        for e in seeded.events
        if not isinstance(e, TrainStep)
    ]
    backend = make_backend(
        pause_when=lambda e: isinstance(e, StageStarted) and e.stage == "compare"
    )
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        backend.events = events
        backend.result = seeded.result
        await settle(pilot)
        await app.push_screen(RunScreen(backend, seeded.profile))
        await wait_paused(pilot, backend)
        align = app.screen.progress.stages["align"]
        assert align.status == REUSED and set(align.seeds.values()) == {REUSED}
        assert "0↺ 1↺ 2↺" in stage_line(app.screen, "DPO alignment")
        backend.resume.set()
        await settle(pilot)


@pytest.mark.asyncio
async def test_a_cells_statistics_list_every_seed_the_agreement_and_the_mde(
    backend, seeded, tui_data
):
    table = seeded.result.table
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ResultsScreen(backend, table, tui_data.run_a, tui_data.run_b))
        await settle(pilot)
        view = app.screen.query_one(SpilloverView)
        mdes = 0
        for row, attribute in enumerate(table.attributes[:4]):
            for column, context in ((1, "ambig"), (5, "overall")):
                acc = table.cell(attribute, context).accuracy
                view.move_cursor(row=row, column=column)
                await pilot.pause()
                stats = plain(app.screen.query_one("#cell-stats", Static).content, width=400)
                for s in acc.seeds:
                    delta = "—" if s.delta is None else f"{100 * s.delta:+.1f} pp"
                    assert f"seed {s.seed}: Δ {delta} · p " in stats
                assert f"agreement: {acc.agreement}/3 seeds {acc.verdict}" in stats
                assert "pooled sign-flip over 3 seeds p" in stats
                if acc.mde is not None:
                    mdes += 1
                    assert f"MDE {100 * acc.mde:.1f} pp" in stats
                if acc.verdict == "no significant change" and acc.mde is not None:
                    assert f"n.s. (MDE {100 * acc.mde:.0f} pp" in stats
        assert mdes


@pytest.mark.asyncio
async def test_a_single_runs_ns_cell_says_its_mde(backend, tui_data):
    table = tui_data.table
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ResultsScreen(backend, table, tui_data.run_a, tui_data.run_b))
        await settle(pilot)
        view = app.screen.query_one(SpilloverView)
        found = 0
        for row, attribute in enumerate(table.attributes):
            acc = table.cell(attribute, "overall").accuracy
            if acc.verdict != "no significant change" or acc.mde is None:
                continue
            view.move_cursor(row=row, column=5)
            await pilot.pause()
            stats = plain(app.screen.query_one("#cell-stats", Static).content, width=400)
            assert f"n.s. (MDE {100 * acc.mde:.0f} pp)" in stats and "seed" not in stats
            found += 1
        assert found
