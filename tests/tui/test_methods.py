"""Alignment methods in the app: the training panel names the method and shows the
figures its trainer logs; a figure a step did not log reads "—", never an error."""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import Static

from auditor.audit.profiles import load_profile
from auditor.core.events import StageStarted, TrainStep
from tui import SpilloverApp
from tui.screens.run import RunScreen
from tui.widgets.training import TrainingPanel

from .conftest import SIZE, plain, settle
from .data import PROFILES
from .fakes import wait_paused

LOGGED = {  # what each method's trl trainer logs (auditor.core.events.TrainStep)
    "kto": {"loss": 0.41, "rewards/margins": 0.25, "kl": 0.0123, "learning_rate": 5e-5},
    "orpo": {
        "loss": 0.9,
        "rewards/margins": 0.1,
        "nll_loss": 0.8765,
        "log_odds_ratio": -0.5,
        "learning_rate": 5e-5,
    },
    "simpo": {
        "loss": 0.7,
        "rewards/margins": 0.3,
        "rewards/accuracies": 0.75,
        "nll_loss": 1.2345,
        "learning_rate": 5e-5,
    },
}
SHOWN = {
    "kto": ["loss 0.4100", "margin +0.2500", "kl 0.0123", "lr 5.00e-05"],
    "orpo": ["loss 0.9000", "nll 0.8765", "log odds -0.5000", "lr 5.00e-05"],
    "simpo": ["loss 0.7000", "margin +0.3000", "nll 1.2345", "lr 5.00e-05"],
}


async def paused_training(pilot, backend, method: str, metrics: dict):
    demo = load_profile(str(PROFILES / "demo.toml"))
    profile = dataclasses.replace(demo, align=dataclasses.replace(demo.align, method=method))
    backend.events = [StageStarted("align", f"{method.upper()} on Gender_identity")] + [
        TrainStep(step, 4, step / 4, metrics, 3.0, method=method) for step in (1, 2)
    ]
    await settle(pilot)
    await pilot.app.push_screen(RunScreen(backend, profile))
    await wait_paused(pilot, backend)
    return pilot.app.screen


@pytest.mark.asyncio
@pytest.mark.parametrize("method", sorted(LOGGED))
async def test_the_panel_names_the_method_and_shows_its_figures(make_backend, method):
    backend = make_backend(pause_when=lambda e: isinstance(e, TrainStep) and e.step == 2)
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        screen = await paused_training(pilot, backend, method, LOGGED[method])
        panel = screen.query_one(TrainingPanel)
        assert str(panel.border_title) == f"{method.upper()} training"
        figures = plain(screen.query_one("#train-figures", Static).content)
        for shown in SHOWN[method]:
            assert shown in figures
        assert "—" not in figures and "reward acc" not in figures
        stages = plain(screen.query_one("#stages", Static).content)
        assert f"{method.upper()} alignment" in stages
        backend.resume.set()
        await settle(pilot)


@pytest.mark.asyncio
async def test_missing_or_odd_figures_read_as_a_dash(make_backend):
    backend = make_backend(pause_when=lambda e: isinstance(e, TrainStep) and e.step == 2)
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        screen = await paused_training(pilot, backend, "orpo", {"loss": 0.5, "nll_loss": None})
        figures = plain(screen.query_one("#train-figures", Static).content)
        assert "loss 0.5000" in figures
        assert "nll —" in figures and "log odds —" in figures and "lr —" in figures
        assert screen.status == "running"
        backend.resume.set()
        await settle(pilot)
