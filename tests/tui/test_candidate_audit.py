"""New audit → compare a checkpoint with its base: the form makes a candidate audit's
profile (gated in non-inferiority mode), and the stage tracker lays out its plan."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, Static

from auditor.audit.plan import audit_plan
from auditor.audit.profiles import load_profile
from tui import SpilloverApp
from tui.screens.home import HomeScreen
from tui.screens.run import RunScreen
from tui.state import AuditProgress, empty_table, progress_for

from .conftest import SIZE, settle
from .data import PROFILES


@pytest.mark.asyncio
async def test_comparing_a_checkpoint_starts_a_candidate_audit(backend):
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        fields = home.query_one("#candidate-fields")
        assert not fields.display  # training is the default kind
        home.query_one("#kind", Select).value = "compare"
        await pilot.pause()
        assert fields.display
        home.query_one("#candidate", Input).value = "my-org/aligned-elsewhere"
        home.query_one("#candidate-target", Input).value = "Age"
        await pilot.pause()
        info = home.query_one("#profile-info", Static).content.plain
        assert "compare my-org/aligned-elsewhere with the base" in info
        assert "no training" in info and "noninferiority" in info
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
    profile = backend.profiles[-1]
    assert profile.candidate.models == ("my-org/aligned-elsewhere",)
    assert profile.candidate.target == ("Age",)
    assert profile.gate.mode == "noninferiority"
    assert audit_plan(profile).trainings == ()


@pytest.mark.asyncio
async def test_comparing_without_a_candidate_is_refused_on_the_form(backend):
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#kind", Select).value = "compare"
        await pilot.pause()
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert not backend.profiles
        shown = [n.message for n in app._notifications]
        assert any("name the candidate" in m for m in shown)


@pytest.mark.asyncio
async def test_a_candidate_equal_to_the_base_is_refused_before_running(backend):
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#kind", Select).value = "compare"
        await pilot.pause()
        app.screen.query_one("#candidate", Input).value = "smollm2-135m"
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen) and not backend.profiles
        shown = [n.message for n in app._notifications]
        assert any("the base model itself" in m for m in shown), shown


@pytest.mark.parametrize("announced", [False, True])
def test_the_tracker_shows_the_base_each_candidate_and_each_comparison(announced):
    profile = load_profile(
        str(PROFILES / "demo.toml"),
        ['candidate.models=["a/one", "b/two"]', 'eval.transfer=["cloze"]'],
    )
    if announced:  # a tracker drawn for a training audit, then told the plan
        progress = AuditProgress(empty_table(profile))
        progress.apply(audit_plan(profile).announce())
    else:
        progress = progress_for(profile)
    assert [s.label for s in progress.stages.values()] == [
        "baseline eval",
        "baseline (cloze)",
        "candidate 1",
        "candidate 1 (cloze)",
        "candidate 2",
        "candidate 2 (cloze)",
        "compare 1",
        "compare 2",
    ]


@pytest.fixture(scope="module")
def tiny_candidate(tmp_path_factory, bbq_lite):
    """The tiny-model audit profile and a real peft LoRA adapter on its model."""
    from auditor.models.sources import resolve_source
    from tests.auditor.align_helpers import make_small_llama
    from tests.auditor.audit.test_candidates import save_adapter
    from tests.auditor.audit_fixtures import write_tiny_profile

    folder = tmp_path_factory.mktemp("tiny-candidate")
    model = make_small_llama(
        folder / "small-llama", resolve_source("smollm2-135m"), [bbq_lite / "Gender_identity.jsonl"]
    )
    return write_tiny_profile(folder, model, bbq_lite), save_adapter(model, folder / "adapter")


@pytest.mark.asyncio
async def test_a_real_candidate_audit_runs_in_the_app(tiny_candidate, tmp_path, bbq_lite):
    from auditor.audit.comparison import compare_stored
    from auditor.store.db import Store
    from tui.backend import Backend
    from tui.state import DONE
    from tui.widgets.spillover import SpilloverView

    profile_path, adapter = tiny_candidate
    backend = Backend(tmp_path / "runs.sqlite")
    app = SpilloverApp(backend, profile=str(profile_path))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.screen.query_one("#kind", Select).value = "compare"
            await pilot.pause()
            app.screen.query_one("#candidate-adapter", Input).value = str(adapter)
            app.screen.query_one("#candidate-target", Input).value = "Age"
            await pilot.press("s")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, RunScreen), screen
            assert screen.status == "done", screen.query_one("#run-status").content
            assert list(screen.progress.stages) == ["baseline", "candidate 1", "compare 1"]
            assert all(s.status == DONE for s in screen.progress.stages.values())
            shown = screen.query_one(SpilloverView).table
            result = screen.result
            report = backend.report(result=backend.load_audit(result.audit_id))
    finally:
        backend.close()
    assert result.candidate["adapter"] == str(adapter) and not result.train_run
    assert report.subject["notes"] and "cannot know what data trained" in report.subject["notes"][0]
    with Store(tmp_path / "runs.sqlite") as store:
        assert store.run(result.aligned_run).adapter == str(adapter)
        expected = compare_stored(
            store,
            result.baseline_run,
            result.aligned_run,
            bbq=str(bbq_lite),
            target=("Age",),
            n_boot=200,
            seed=0,
        ).table
    assert result.table.target == ("Age",)  # on all its items: nothing was held out
    assert shown.to_dict() == expected.to_dict() == result.table.to_dict()
