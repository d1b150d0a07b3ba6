"""Home: profiles, the model field, starting an audit, help, quitting."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList, Static

from tui import SpilloverApp
from tui.screens.help import HelpScreen
from tui.screens.home import HomeScreen
from tui.screens.run import RunScreen

from .conftest import SIZE, settle

pytestmark = pytest.mark.asyncio


async def test_profiles_fill_the_model_and_an_edited_model_is_audited(backend):
    app = SpilloverApp(backend, profile="ci")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        options = home.query_one("#profiles", OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == [
            "ci", "demo"]
        model = home.query_one("#model", Input)
        assert model.value == "my-org/candidate-model"
        await pilot.press("down")  # → demo
        assert model.value == "smollm2-135m"
        assert "target Gender_identity" in home.query_one("#profile-info", Static).content.plain
        model.focus()
        model.value = ""
        await pilot.press(*"my/model", "enter")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
        profile = backend.profiles[0]
        assert (profile.name, profile.model.source) == ("demo", "my/model")


async def test_help_opens_and_closes_and_quit_cancels_a_running_audit(make_backend):
    from .fakes import at_step, wait_paused

    backend = make_backend(pause_when=at_step(2))
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.click("#start")  # the mouse starts it too
        await wait_paused(pilot, backend)
        run = app.screen
        assert isinstance(run, RunScreen)
        await pilot.press("q")
        assert run.cancel_event.is_set()
    assert backend.reported < len(backend.events)
