"""Starting an audit from home: model and data are checked first (nothing is stored when
they are bad), and the sample size and DPO steps typed there become ``--set`` overrides."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from auditor.audit.profiles import load_profile
from tui import SpilloverApp
from tui.screens.home import HomeScreen
from tui.screens.run import RunScreen

from .conftest import SIZE, settle
from .data import PROFILES

pytestmark = pytest.mark.asyncio


def last_note(app):
    return list(app._notifications)[-1]


async def test_a_bad_model_is_refused_at_once_on_home_and_nothing_is_stored(make_backend, tmp_path):
    backend = make_backend()
    backend.store_path = tmp_path / "runs.sqlite"  # no store yet: none may be created
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        model = app.screen.query_one("#model", Input)
        model.value = "/nonexistent/model"
        model.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen) and backend.profiles == []
        note = last_note(app)
        assert note.severity == "error" and note.message == (
            "model /nonexistent/model: no such folder or file (bundled models: smollm2-135m)"
        )
        assert app.focused is model  # ready to be corrected
    assert not backend.store_path.exists()


async def test_bad_data_is_refused_on_home_too(make_backend, tmp_path):
    backend = make_backend()
    backend.bbq = str(tmp_path / "no-bbq-here")
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen) and backend.profiles == []
        assert (
            last_note(app).message == f"--bbq {tmp_path / 'no-bbq-here'}: no such file or directory"
        )


async def test_sample_size_and_steps_typed_on_home_are_the_audits_set_overrides(backend):
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        sample, steps = home.query_one("#sample", Input), home.query_one("#steps", Input)
        assert (sample.value, steps.value) == ("144", "12")  # the profile's own
        sample.value, steps.value = "60", "3"
        await pilot.pause()
        info = home.query_one("#profile-info", Static).content.plain
        assert "eval 60 items" in info and "DPO 3 steps" in info
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
    expected = load_profile(str(PROFILES / "demo.toml"), ["data.sample=60", "align.max_steps=3"])
    assert backend.profiles == [expected]


async def test_a_value_the_profile_refuses_says_why_and_starts_nothing(backend):
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        home.query_one("#sample", Input).value = "-1"
        await pilot.pause()
        assert "'data.sample' is -1" in home.query_one("#profile-info", Static).content.plain
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen) and backend.profiles == []
        assert "'data.sample' is -1; it must be in [0, ∞)" in last_note(app).message
