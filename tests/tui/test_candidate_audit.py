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

from .candidates import judged_by_cli, recomputed_table, shown_table
from .conftest import SIZE, settle
from .data import PROFILES

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)


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
@pytest.mark.parametrize(
    "candidate,problem",
    [("", "name the candidate"), ("smollm2-135m", "the base model itself")],
    ids=["no candidate", "the base itself"],
)
async def test_a_candidate_the_form_cannot_compare_is_refused_before_running(
    backend, candidate, problem
):
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#kind", Select).value = "compare"
        await pilot.pause()
        app.screen.query_one("#candidate", Input).value = candidate
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen) and not backend.profiles
        shown = [n.message for n in app._notifications]
        assert any(problem in m for m in shown), shown


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


async def audit_typed(app, pilot, adapters: str) -> RunScreen:
    """Type ``adapters`` as the candidates (target Age) into the form, start, and return
    the run screen once the audit is done."""
    await settle(pilot)
    app.screen.query_one("#kind", Select).value = "compare"
    await pilot.pause()
    app.screen.query_one("#candidate-adapter", Input).value = adapters
    app.screen.query_one("#candidate-target", Input).value = "Age"
    await pilot.press("s")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, RunScreen), screen
    assert screen.status == "done", screen.query_one("#run-status").content
    return screen


@pytest.mark.asyncio
async def test_a_real_candidate_audit_runs_in_the_app(tiny_candidate, tmp_path, bbq_lite):
    from auditor.store.db import Store
    from tui.backend import Backend
    from tui.state import DONE
    from tui.widgets.spillover import SpilloverView

    profile_path, adapter = tiny_candidate
    backend = Backend(tmp_path / "runs.sqlite")
    app = SpilloverApp(backend, profile=str(profile_path))
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await audit_typed(app, pilot, str(adapter))
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
        expected = recomputed_table(store, result, bbq_lite)
    assert result.table.target == ("Age",)  # on all its items: nothing was held out
    assert shown.to_dict() == expected.to_dict() == result.table.to_dict()


@pytest.mark.asyncio
async def test_a_real_audit_of_two_candidates_shows_and_exports_each(
    tiny_candidate, tmp_path, bbq_lite, monkeypatch
):
    """Two real adapters, checkpoints of one run, typed in the form (comma-separated):
    one shared baseline, each candidate's table the independent paired comparison of its
    stored runs, and every export format of each the bytes `spillover audit --output`
    writes for it (the last checkpoint's with the trajectory over both steps)."""
    import json

    from auditor.audit.candidate_report import candidate_reports, with_candidate_trajectory
    from auditor.audit.history import load_audit
    from auditor.audit.profiles import build_profile
    from auditor.reports.formats import APP_FORMATS, BY_NAME, write_report
    from auditor.store.db import Store
    from tests.auditor.audit.test_candidates import save_adapter
    from tui.backend import Backend
    from tui.widgets.candidates import CandidatePicker
    from tui.widgets.progress import EvalProgress
    from tui.widgets.training import TrainingPanel

    from .test_results import export_from

    profile_path, made = tiny_candidate
    model = made.parent / "small-llama"
    adapter = save_adapter(model, tmp_path / "run" / "checkpoint-100", seed=2)
    second = save_adapter(model, tmp_path / "run" / "checkpoint-200", seed=1)
    monkeypatch.chdir(tmp_path)
    backend = Backend(tmp_path / "runs.sqlite")
    app = SpilloverApp(backend, profile=str(profile_path))
    seen = {}
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await audit_typed(app, pilot, f"{adapter}, {second}")
            assert list(screen.progress.stages) == [
                "baseline",
                "candidate 1",
                "candidate 2",
                "compare 1",
                "compare 2",
            ]
            evals = screen.progress.evals  # each candidate's evaluation, drawn live
            assert evals["candidate 1"].done == evals["candidate 2"].done == evals["baseline"].total
            shown = screen.query_one(EvalProgress).evals[3]
            assert shown == ("baseline", "candidate 1", "candidate 2")
            assert not screen.query(TrainingPanel)  # nothing trains: no training panel
            lines = [str(p) for p, _v in screen.query_one(CandidatePicker)._options]
            for _ in range(2):
                result = screen.result
                seen[result.candidate["label"]] = (result, shown_table(screen))
                for fmt in (f.name for f in APP_FORMATS):
                    await export_from(app, pilot, fmt)
                await pilot.press("n")
                await settle(pilot)
    finally:
        backend.close()
    assert sorted(seen) == ["1", "2"]
    one, two = seen["1"][0], seen["2"][0]
    assert (one.candidate["adapter"], two.candidate["adapter"]) == (str(adapter), str(second))
    assert one.baseline_run == two.baseline_run and one.aligned_run != two.aligned_run
    with Store(tmp_path / "runs.sqlite") as store:
        stored = [load_audit(store, r.audit_id) for r in (one, two)]
    profile = build_profile(two.profile)
    verdicts = judged_by_cli(tmp_path / "runs.sqlite", stored, profile)
    assert all(f"gate {v}" in line for line, v in zip(lines, verdicts, strict=True))
    assert "(step 100)" in lines[0] and "(step 200)" in lines[1]
    again = Backend(tmp_path / "runs.sqlite")
    try:
        for fmt in (f.name for f in APP_FORMATS):  # what the CLI writes for each candidate
            cli = candidate_reports(
                again.reader, stored, profile, bbq=profile.data.bbq or None, flips=fmt == "html"
            )
            for r in with_candidate_trajectory(cli):
                path = tmp_path / f"cli.candidate-{r.candidate['label']}{BY_NAME[fmt].suffixes[0]}"
                write_report(r.report, fmt, path)
        for label, (result, shown) in seen.items():
            expected = recomputed_table(again.reader, result, bbq_lite)
            assert shown == expected.to_dict() == result.table.to_dict(), label
            for fmt in (f.name for f in APP_FORMATS):
                ext = BY_NAME[fmt].suffixes[0]
                written = tmp_path / f"spillover-{result.audit_id}{ext}"
                cli = tmp_path / f"cli.candidate-{label}{ext}"
                assert written.read_bytes() == cli.read_bytes(), (label, fmt)
    finally:
        again.close()
    trajectory = json.loads((tmp_path / "cli.candidate-2.json").read_text("utf-8"))["trajectory"]
    assert trajectory["steps"] == [100, 200] and trajectory["final_step"] == 200
    assert "trajectory" not in json.loads((tmp_path / "cli.candidate-1.json").read_text("utf-8"))


@pytest.mark.asyncio
async def test_the_form_takes_several_candidates_separated_by_commas(backend):
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        home.query_one("#kind", Select).value = "compare"
        await pilot.pause()
        home.query_one("#candidate", Input).value = " org/one , org/two,"
        home.query_one("#candidate-target", Input).value = "Age, Gender_identity"
        await pilot.pause()
        info = home.query_one("#profile-info", Static).content.plain
        assert "compare org/one, org/two with the base" in info
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
    profile = backend.profiles[-1]
    assert profile.candidate.models == ("org/one", "org/two")
    assert profile.candidate.target == ("Age", "Gender_identity")
    assert [s.label for s in progress_for(profile).stages.values()] == [
        "baseline eval",
        "candidate 1",
        "candidate 2",
        "compare 1",
        "compare 2",
    ]


@pytest.mark.asyncio
async def test_a_candidate_path_holding_a_comma_is_typed_in_double_quotes(backend, tmp_path):
    from auditor.models.sources import resolve_source
    from tests.auditor.helpers import make_tiny_llama

    run = make_tiny_llama(tmp_path / "lr=1e-4,beta=0.1", resolve_source("smollm2-135m"))
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        home.query_one("#kind", Select).value = "compare"
        await pilot.pause()
        home.query_one("#candidate", Input).value = f'"{run}" , org/two'
        await pilot.pause()
        info = home.query_one("#profile-info", Static).content.plain
        assert f"compare {run}, org/two with the base" in info
        home.query_one("#candidate", Input).value = f'"{run}, org/two'
        await pilot.pause()
        info = home.query_one("#profile-info", Static).content.plain
        assert "candidates: a double quote is not closed" in info
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen) and not backend.profiles
        home.query_one("#candidate", Input).value = f'"{run}", org/two'
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
    assert backend.profiles[-1].candidate.models == (str(run), "org/two")
