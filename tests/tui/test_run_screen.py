"""The run screen driven by recorded engine events: live table, cancel, drill-down,
stages reused from the store."""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import Static

from auditor.core.events import CellUpdated, StageFinished, StageStarted
from auditor.reports.rich import accuracy_text, bias_text
from auditor.stats.table import Cell
from tui import SpilloverApp
from tui.screens.drilldown import DrilldownScreen
from tui.screens.run import RunScreen
from tui.state import CANCELLED, DONE, FAILED, PENDING, REUSED, RUNNING
from tui.widgets.progress import EvalProgress
from tui.widgets.spillover import SpilloverView
from tui.widgets.stages import StageTracker

from .conftest import SIZE, plain, settle
from .data import LOG_NOTE
from .fakes import at_step, wait_paused

pytestmark = [pytest.mark.asyncio, pytest.mark.heavy]  # heavy: scheduled first (conftest)


async def start_audit(pilot):
    """Press start on the home screen and wait for the audit's screen to settle."""
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)
    return pilot.app.screen


def stored_runs(tui_data) -> dict[str, str]:
    """What each reused stage reports as its stored result."""
    return {"baseline": tui_data.run_a, "align": "alignment/adapter", "aligned": tui_data.run_b}


def shown(view: SpilloverView, attribute: str, key: str) -> str:
    return view.get_cell(attribute, key).plain


async def test_audit_fills_the_table_and_drills_down(backend, tui_data):
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_audit(pilot)
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
                assert (
                    shown(view, attribute, f"{context}/accuracy")
                    == accuracy_text(cell.accuracy).plain
                )
                if context != "overall":
                    assert shown(view, attribute, f"{context}/bias") == bias_text(cell.bias).plain
        gender = tui_data.table.cell("Gender_identity", "overall").accuracy
        assert gender.verdict == "improved" and gender.marker == "▲**"
        assert shown(view, "Gender_identity", "overall/accuracy").split("\n") == [
            "+100.0 pp ▲**",
            "0.0→100.0%",
            "improved",
        ]
        assert shown(view, "Age", "overall/accuracy").endswith("degraded")

        view.focus()
        await pilot.press("enter")  # cursor on the target's attribute column
        await settle(pilot)
        drill = app.screen
        assert isinstance(drill, DrilldownScreen)
        assert drill.attribute == "Gender_identity" and drill.context is None
        assert len(drill.rows) == sum(
            i.attribute == "Gender_identity" for i in tui_data.items.values()
        )


async def test_mid_training_shows_live_figures_and_cancel_keeps_work(make_backend, tui_data):
    backend = make_backend(pause_when=at_step(6))
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await wait_paused(pilot, backend)
        screen = app.screen
        stages = {name: s.status for name, s in screen.progress.stages.items()}
        assert stages == {
            "baseline": DONE,
            "align": RUNNING,
            "aligned": PENDING,
            "compare": PENDING,
        }
        figures = plain(screen.query_one("#train-figures", Static).content).split()
        assert figures[:6] == ["step", "6/12", "epoch", "0.50", "ETA", "30s"]
        assert "loss 0.5131" in " ".join(figures) and "margin +0.3000" in " ".join(figures)
        assert [t.step for t in screen.progress.train] == [1, 2, 3, 4, 5, 6]
        assert screen.progress.evals["baseline"].done == len(tui_data.items)
        view = screen.query_one(SpilloverView)
        assert shown(view, "Age", "ambig/accuracy") == "…\nrunning"
        assert plain(screen.query_one("#run-log", Static).content).strip() == LOG_NOTE

        await pilot.press("escape")  # leaving a running audit is refused
        assert app.screen is screen
        await pilot.press("c")
        await settle(pilot)
        assert screen.status == CANCELLED
        assert screen.progress.stages["align"].status == CANCELLED
        assert "cancelled" in str(screen.query_one("#run-status", Static).content)
        assert backend.reported < len(tui_data.events)
        await pilot.press("escape")
        assert not isinstance(app.screen, RunScreen)


async def test_partial_table_shows_reported_cells_only(make_backend, tui_data):
    cells = [e for e in tui_data.events if isinstance(e, CellUpdated)]
    fourth = cells[3]
    backend = make_backend(pause_when=lambda e: e is fourth)
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await wait_paused(pilot, backend)
        view = app.screen.query_one(SpilloverView)
        for event in cells[:4]:
            cell = Cell.from_dict(event.payload)
            text = shown(view, event.attribute, f"{event.context}/accuracy")
            assert text.split("\n")[1] == accuracy_text(cell.accuracy).plain.split("\n")[1]
            assert (
                text
                == accuracy_text(view.table.cell(event.attribute, event.context).accuracy).plain
            )
        assert shown(view, cells[4].attribute, f"{cells[4].context}/accuracy") == "…\nrunning"
        view.focus()
        await pilot.press("enter")  # no drill-down before the audit has finished
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)
        assert [n.message for n in app._notifications] == [
            "drill-down opens when the audit has finished"
        ]
        backend.resume.set()
        await settle(pilot)
        assert app.screen.status == "done"


async def test_a_failing_audit_says_why_and_the_app_lives_on(make_backend):
    backend = make_backend(fail="model folder /nope: not found; pass --model DIR")
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_audit(pilot)
        assert screen.status == FAILED
        status = screen.query_one("#run-status", Static).content.plain
        assert status == "✗ failed: model folder /nope: not found; pass --model DIR"
        await pilot.press("escape")
        assert not isinstance(app.screen, RunScreen)


def resumed(events, stored: tuple[str, ...], runs: dict[str, str]):
    """``events`` as the engine reports them when ``stored`` stages are reused: each of
    those is StageStarted(stage, "stored") then StageFinished(stage, skipped=True), and
    none of its own progress events."""
    out, skipping = [], None
    for event in events:
        if isinstance(event, StageStarted) and event.stage in stored:
            skipping = event.stage
            out += [
                StageStarted(skipping, "stored"),
                StageFinished(skipping, skipped=True, detail=runs[skipping]),
            ]
        elif skipping is not None and not isinstance(event, StageStarted):
            continue  # the reused stage's own progress and its finish
        else:
            skipping = None
            out.append(event)
    return out


@pytest.mark.parametrize("stored", [("baseline",), ("baseline", "align", "aligned")])
async def test_reused_stages_show_as_stored(make_backend, tui_data, stored):
    runs = stored_runs(tui_data)
    backend = make_backend()
    backend.events = resumed(tui_data.events, stored, runs)
    assert sum(isinstance(e, StageFinished) and e.skipped for e in backend.events) == len(stored)
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_audit(pilot)
        assert screen.status == "done"
        assert {n: s.status for n, s in screen.progress.stages.items()} == {
            n: REUSED if n in stored else DONE for n in ("baseline", "align", "aligned", "compare")
        }
        tracker = [
            line.split() for line in plain(screen.query_one(StageTracker).content).splitlines()
        ]
        for words, name in zip(tracker, ("baseline", "align", "aligned", "compare"), strict=True):
            if name in stored:
                assert words[0] == "↺" and "stored" in words and words[-1] == runs[name]
            else:
                assert words[0] == "✓" and "stored" not in words
        evaluation = plain(screen.query_one(EvalProgress).content).splitlines()
        for line, name in zip(evaluation, ("baseline", "aligned"), strict=True):
            assert line.rstrip().endswith("stored" if name in stored else "144/144 done")
            assert "waiting" not in line
        figures = plain(screen.query_one("#train-figures", Static).content)
        assert figures.startswith("stored") == ("align" in stored)
        assert screen.query_one(SpilloverView).table == tui_data.table


async def test_a_reused_alignment_shows_its_stored_training_log(make_backend, tui_data):
    """No training runs when the adapter is reused: the panel shows the run's stored log."""
    from auditor.store.db import Store

    runs = stored_runs(tui_data)
    backend = make_backend()
    backend.events = resumed(tui_data.events, ("baseline", "align", "aligned"), runs)
    with Store(tui_data.store_path) as store:
        train = store.create_or_get_run("train", "stored-log", model="x", total=3)
        for step, loss in ((1, 0.69), (2, 0.61), (3, 0.52)):
            store.log_train(
                train, step, {"loss": loss, "rewards/margins": 0.1 * step, "epoch": step / 3}
            )
    backend.result = dataclasses.replace(backend.result, train_run=train)
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_audit(pilot)
        assert screen.status == "done"
        assert [s.step for s in screen.progress.train] == [1, 2, 3]
        figures = plain(screen.query_one("#train-figures", Static).content)
        assert "3/3" in figures and "0.52" in figures


async def test_a_cancelled_audit_stops_its_clocks_and_says_what_was_not_computed(
    make_backend, tui_data
):
    backend = make_backend(pause_when=at_step(6))
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await wait_paused(pilot, backend)
        screen = app.screen
        await pilot.press("c")
        await settle(pilot)
        assert screen.status == CANCELLED
        view = screen.query_one(SpilloverView)
        assert shown(view, "Age", "ambig/accuracy") == "—\nnot computed"
        caption = screen.query_one("#run-caption", Static).content.plain
        assert "cancelled" in caption and "fill in" not in caption
        figures = plain(screen.query_one("#train-figures", Static).content)
        assert "ETA" not in figures and "step 6/12" in figures and "cancelled" in figures
        evaluation = plain(screen.query_one(EvalProgress).content)
        assert "ETA" not in evaluation and evaluation.splitlines()[1].rstrip().endswith("not run")
        tracker = plain(screen.query_one(StageTracker).content).splitlines()
        assert tracker[2].split()[:4] == ["○", "aligned", "eval", "pending"]
        assert tracker[2].rstrip().endswith("not run")


async def test_an_audit_failing_before_any_stage_marks_the_first_stage_failed(make_backend):
    backend = make_backend(fail="--bbq /nope: no BBQ files found")
    backend.events = []
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_audit(pilot)
        assert screen.status == FAILED
        stages = screen.progress.stages
        assert stages["baseline"].status == FAILED
        assert stages["baseline"].detail == "--bbq /nope: no BBQ files found"
        assert {stages[n].status for n in ("align", "aligned", "compare")} == {PENDING}
        figures = plain(screen.query_one("#train-figures", Static).content)
        assert figures.startswith("no training step ran (audit failed)")
        assert (
            shown(screen.query_one(SpilloverView), "Age", "overall/accuracy") == "—\nnot computed"
        )


async def test_a_resumed_training_run_draws_its_stored_steps_before_the_live_ones(
    tui_data, tmp_path
):
    """Resumed from checkpoint-5: steps 1–5 come from the store, 6 on live."""
    import shutil

    from auditor.core.events import TrainStep
    from auditor.store.db import Store

    from .fakes import ReplayBackend

    shutil.copy(tui_data.store_path, tmp_path / "runs.sqlite")
    stored = [e for e in tui_data.events if isinstance(e, TrainStep) and e.step <= 5]
    with Store(tmp_path / "runs.sqlite") as store:
        old = store.create_or_get_run("train", "an-older-run", model="x", total=3)
        store.update_run(old, "done")
        store.log_train(old, 5, {"loss": 9.0})  # not running: not this audit's
        train = store.create_or_get_run("train", "resumed", model="smollm2-135m", total=12)
        store.update_run(train, "running")
        for step in stored:
            store.log_train(train, step.step, dict(step.metrics))
    live = [e for e in tui_data.events if e not in stored]
    data = dataclasses.replace(tui_data, store_path=tmp_path / "runs.sqlite", events=live)
    backend = ReplayBackend(data, pause_when=at_step(8))
    try:
        app = SpilloverApp(backend, profile="demo")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("s")
            await wait_paused(pilot, backend)
            screen = app.screen
            for _ in range(200):  # the stored log loads in a worker
                if screen.progress.train[0].step == 1:
                    break
                await pilot.pause()
            steps = screen.progress.train
            assert [s.step for s in steps] == list(range(1, 9))
            assert [s.metrics["loss"] for s in steps[:5]] == [s.metrics["loss"] for s in stored]
            assert {s.total_steps for s in steps} == {12}
            assert "step 8/12" in plain(screen.query_one("#train-figures", Static).content)
            backend.resume.set()
            await settle(pilot)
            assert [s.step for s in screen.progress.train] == list(range(1, 13))
    finally:
        backend.resume.set()
        backend.close()
