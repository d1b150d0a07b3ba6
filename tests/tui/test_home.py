"""Home: profiles, the model field, starting an audit, help, quitting."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from tui import SpilloverApp
from tui.screens.help import HelpScreen
from tui.screens.home import HomeScreen
from tui.screens.run import RunScreen

from .conftest import SIZE, plain, settle

pytestmark = pytest.mark.asyncio


async def test_profiles_fill_the_model_and_an_edited_model_is_audited(backend):
    app = SpilloverApp(backend, profile="ci")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        options = home.query_one("#profiles", OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == [
            "ci",
            "demo",
        ]
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
    assert any(n.message.startswith("stopping the audit") for n in app._notifications)


async def test_the_profile_list_starts_on_demo_and_keeps_a_typed_model(backend):
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        options = home.query_one("#profiles", OptionList)
        assert options.get_option_at_index(options.highlighted).id == "demo"
        model = home.query_one("#model", Input)
        assert model.value == "smollm2-135m"
        model.value = "my/typed-model"
        options.focus()
        await pilot.press("up")  # → ci: its summary shows, the typed model stays
        assert "my-org" not in model.value and model.value == "my/typed-model"
        assert home.profile.name == "ci"


async def test_a_screenshot_is_saved_in_a_folder_that_exists_and_says_where(
    backend, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        written = app.deliver_screenshot()
        await pilot.pause()
        assert written is not None and Path(written).parent == tmp_path
        assert Path(written).read_text(encoding="utf-8").startswith("<svg")
        assert list(app._notifications)[-1].message == f"screenshot saved to {written}"


async def test_a_one_epoch_profile_says_epoch():
    from auditor.audit.profiles import load_profile
    from tui.screens.home import profile_summary

    profile = load_profile("demo")
    one = dataclasses.replace(
        profile, align=dataclasses.replace(profile.align, max_steps=0, epochs=1.0)
    )
    assert "DPO 1 epoch," in profile_summary(one).plain
    one_step = dataclasses.replace(profile, align=dataclasses.replace(profile.align, max_steps=1))
    assert "DPO 1 step," in profile_summary(one_step).plain


async def test_the_summary_names_the_method_seeds_and_format_controls():
    from auditor.audit.profiles import load_profile
    from tui.screens.home import profile_summary

    profile = load_profile("demo")
    assert "seeds" not in profile_summary(profile).plain
    a, e = profile.align, profile.eval
    orpo = dataclasses.replace(
        profile,
        align=dataclasses.replace(a, method="orpo", seeds=(0, 1, 2)),
        eval=dataclasses.replace(e, orders="cyclic", transfer=("cloze",)),
    )
    text = profile_summary(orpo).plain.splitlines()[-1]  # below the description
    assert "ORPO " in text and "β" not in text and "DPO" not in text  # orpo has no beta
    assert text.endswith("· 3 seeds (0, 1, 2) · cyclic option orders · cloze transfer")
    kto = dataclasses.replace(profile, align=dataclasses.replace(a, method="kto"))
    assert f"KTO {a.max_steps} steps, β {a.beta:g}" in profile_summary(kto).plain


async def test_an_empty_store_says_how_to_begin_and_where_the_store_is(make_backend, tmp_path):
    import tempfile

    backend = make_backend()
    short = Path(tempfile.mkdtemp(prefix="s", dir="/tmp"))  # fits the screen (xdist's don't)
    backend.store_path = short / "[bold]new[/bold]" / "runs.sqlite"  # shown as written
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        hint = app.screen.query_one("#empty-hint", Static)
        assert hint.display and "press s to start" in hint.content.plain
        screen_text = plain(app.screen._compositor.render_update(full=True), width=SIZE[0])
        assert "[bold]new[/bold]/runs.sq" in screen_text  # the path, never markup


async def test_a_store_with_audits_shows_no_hint(backend):
    app = SpilloverApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not app.screen.query_one("#empty-hint", Static).display
