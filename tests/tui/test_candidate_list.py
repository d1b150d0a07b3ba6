"""A candidate audit of several in the app: each candidate's table with its gate verdict,
the worst first, drill-down and export following the one shown; read back from the store
without torch."""

from __future__ import annotations

import pytest

from tui import SpilloverApp
from tui.screens.run import RunScreen

from .candidates import judged_by_cli, shown_table, worst_by_hand
from .conftest import SIZE, settle


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), SIZE])
async def test_several_candidates_each_show_their_table_the_worst_first(
    two_candidates, size, tmp_path, monkeypatch
):
    """A candidate audit of two, finished earlier: the run screen lists both with the
    verdicts the CLI gives, opens on the worst, and n, drill-down and export follow the
    candidate chosen."""
    import json

    from tui.screens.drilldown import DrilldownScreen
    from tui.widgets.candidates import CandidatePicker

    from .fakes import ReplayBackend
    from .test_results import export_from

    monkeypatch.chdir(tmp_path)
    c = two_candidates
    verdicts = judged_by_cli(c.data.store_path, c.results, c.profile)
    first = worst_by_hand(verdicts)
    backend = ReplayBackend(c.data, fail="the pipeline ran")
    app = SpilloverApp(backend)
    try:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await app.push_screen(RunScreen(backend, c.profile))
            await settle(pilot)
            screen = app.screen
            assert screen.status == "done" and not backend.profiles  # read back
            for r in c.results:  # each candidate's stage names its stored run
                assert screen.progress.stages[f"candidate {r.candidate['label']}"].detail == (
                    r.aligned_run
                )
            picker = screen.query_one(CandidatePicker)
            lines = [str(p) for p, _v in picker._options]
            assert all(f"gate {v}" in line for line, v in zip(lines, verdicts, strict=True))
            assert verdicts[first] != verdicts[1 - first]  # which is shown first matters
            assert "[bold]two[/bold]" in lines[1]  # a model's name, never markup
            for step in range(3):
                index = (first + step) % 2
                expected = c.results[index]
                assert picker.value == index and screen.result.audit_id == expected.audit_id
                assert shown_table(screen) == expected.table.to_dict()
                await export_from(app, pilot, "json")
                written = json.loads(
                    (tmp_path / f"spillover-{expected.audit_id}.json").read_text("utf-8")
                )
                assert written["subject"]["candidate"]["label"] == str(index + 1)
                assert written["subject"]["candidate_run"] == expected.aligned_run
                await pilot.press("enter")  # the focused cell's items
                await settle(pilot)
                assert isinstance(app.screen, DrilldownScreen)
                assert app.screen.run_b == expected.aligned_run
                await pilot.press("escape")
                await settle(pilot)
                await pilot.press("n")
                await settle(pilot)
    finally:
        backend.close()


@pytest.mark.asyncio
async def test_a_candidate_opened_from_the_history_lists_its_fellows(
    two_candidates, tmp_path, monkeypatch
):
    """Opening one candidate's stored audit shows that one (not the worst) and lists the
    other; choosing it moves the table, drill-down and export to it."""
    import json

    from tui.screens.drilldown import DrilldownScreen
    from tui.screens.results import ResultsScreen
    from tui.widgets.candidates import CandidatePicker

    from .fakes import ReplayBackend
    from .test_history import open_audit
    from .test_results import export_from

    monkeypatch.chdir(tmp_path)
    c = two_candidates
    backend = ReplayBackend(c.data)
    app = SpilloverApp(backend)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await open_audit(pilot, c.results[1].audit_id)
            screen = app.screen
            assert isinstance(screen, ResultsScreen)
            picker = screen.query_one(CandidatePicker)
            assert picker.value == 1 and screen.result.audit_id == c.results[1].audit_id
            assert shown_table(screen) == c.results[1].table.to_dict()
            picker.value = 0
            await settle(pilot)
            assert screen.result.audit_id == c.results[0].audit_id
            assert shown_table(screen) == c.results[0].table.to_dict()
            assert (screen.run_a, screen.run_b) == (c.data.run_a, c.data.run_b)
            await export_from(app, pilot, "json")
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DrilldownScreen)
            assert app.screen.run_b == c.results[0].aligned_run
    finally:
        backend.close()
    written = tmp_path / f"spillover-{c.results[0].audit_id}.json"
    assert json.loads(written.read_text("utf-8"))["subject"]["candidate"]["label"] == "1"


def test_a_candidate_line_shows_markup_and_control_characters_inert():
    from types import SimpleNamespace

    from tui.widgets.candidates import candidate_line, worst

    result = SimpleNamespace(
        candidate={"label": "2", "model": "org/[red]x[/red]\x1b[2J\u202e", "step": 300}
    )
    line = candidate_line(result, "degraded", 3)
    assert line.plain == (
        "candidate 2 of 3: org/[red]x[/red]\\x1b[2J\\u202e (step 300) · gate degraded"
    )
    assert candidate_line(result, None, 3).plain.endswith("· not judged")
    assert worst(["passed", "inconclusive", "degraded", "degraded"]) == 2
    assert worst(["passed", "cannot judge", "degraded"]) == 1
    assert worst([None, "passed"]) == 1 and worst([None, None]) == 0


PROBE = """
import json, sys
from auditor.audit.profiles import build_profile
from tui.backend import Backend
backend = Backend(sys.argv[2], sys.argv[3])
results = backend.finished_results(build_profile(json.loads(sys.argv[1])))
judged, why = backend.judged(results)
opened, fellows, _why = backend.open_audit(results[0].audit_id)
backend.report(result=opened, flips=True)
print(json.dumps({"verdicts": [v for _r, v in judged], "fellows": len(fellows), "why": why,
                  "heavy": sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[4:])}))
"""


def test_reading_candidates_back_and_judging_them_imports_no_torch(two_candidates):
    import json
    import subprocess
    import sys

    c = two_candidates
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            json.dumps(c.profile.to_dict()),
            str(c.data.store_path),
            str(c.data.bbq),
            *("torch", "transformers", "trl", "peft"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["verdicts"] == judged_by_cli(c.data.store_path, c.results, c.profile)
    assert found["why"] == ""
    assert found["fellows"] == 2 and found["heavy"] == []


def test_candidates_the_gate_cannot_be_asked_about_read_not_judged(two_candidates, monkeypatch):
    """A failure while judging leaves the candidates' tables to show, never a verdict."""
    from tui.backend import Backend

    c = two_candidates
    backend = Backend(c.data.store_path, str(c.data.bbq))
    try:
        judged, why = backend.judged(c.results)
        assert [v for _r, v in judged] == judged_by_cli(c.data.store_path, c.results, c.profile)
        assert why == ""
        monkeypatch.setattr(backend, "verdicts", lambda results: {}["broken"])
        judged, why = backend.judged(c.results)
        assert [v for _r, v in judged] == [None, None] and why == "KeyError: 'broken'"
        assert backend.judged(c.results[:1]) == ([], "")  # one candidate: no list
    finally:
        backend.close()


@pytest.mark.asyncio
async def test_checkpoint_candidates_open_the_trajectory_the_cli_gives(
    tui_data, two_candidates, tmp_path
):
    """Two checkpoints of one training run as candidates: `t`, on the finished run screen
    and on its results, opens the trajectory `spillover audit --gate` gives the last of
    them; candidates that are not checkpoints have none to open."""
    from auditor.audit.candidate_report import candidate_reports, with_candidate_trajectory
    from auditor.store.db import Store
    from tui.screens.results import ResultsScreen
    from tui.screens.trajectory import TrajectoryScreen

    from .candidates import candidate_audit
    from .fakes import ReplayBackend

    c = candidate_audit(tui_data, tmp_path, ("run/checkpoint-40", "run/checkpoint-20"))
    assert [r.candidate["step"] for r in c.results] == [40, 20]
    with Store(c.data.store_path) as store:
        reports = candidate_reports(store, c.results, c.profile, section=c.profile.gate)
    expected = with_candidate_trajectory(reports, c.profile.gate)[0].report.trajectory
    assert expected is not None and expected.steps == (20, 40)
    for audit, steps in ((c, True), (two_candidates, False)):
        backend = ReplayBackend(audit.data, fail="the pipeline ran")
        app = SpilloverApp(backend)
        try:
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                await app.push_screen(RunScreen(backend, audit.profile))
                await settle(pilot)
                run = app.screen
                assert run.status == "done"
                assert bool(run.check_action("trajectory", ())) is steps
                results = ResultsScreen(
                    backend, run.result.table, run.result.baseline_run,
                    run.result.aligned_run, result=run.result, candidates=run.candidates,
                )  # fmt: skip
                assert bool(results.check_action("trajectory", ())) is steps
                if not steps:
                    continue
                await pilot.press("t")
                await settle(pilot)
                assert isinstance(app.screen, TrajectoryScreen)
                assert app.screen.trajectory.to_dict() == expected.to_dict()
                await pilot.press("escape")
                await settle(pilot)
                await app.push_screen(results)
                await settle(pilot)
                await pilot.press("t")
                await settle(pilot)
                assert isinstance(app.screen, TrajectoryScreen)
                assert app.screen.trajectory.to_dict() == expected.to_dict()
        finally:
            backend.close()


@pytest.mark.asyncio
async def test_candidates_that_cannot_be_judged_say_why(two_candidates, monkeypatch):
    """Judging fails (here a broken gate): the run screen still shows each candidate's
    table, every verdict reads "not judged", and a notice says why."""
    from tui.widgets.candidates import CandidatePicker

    from .fakes import ReplayBackend

    c = two_candidates
    backend = ReplayBackend(c.data, fail="the pipeline ran")
    monkeypatch.setattr(backend, "verdicts", lambda results: {}["broken"])
    app = SpilloverApp(backend)
    try:
        async with app.run_test(size=(150, 50)) as pilot:
            await settle(pilot)
            await app.push_screen(RunScreen(backend, c.profile))
            await settle(pilot)
            screen = app.screen
            assert screen.status == "done"
            lines = [str(p) for p, _v in screen.query_one(CandidatePicker)._options]
            assert len(lines) == 2 and all(line.endswith("not judged") for line in lines)
            shown = [n.message for n in app._notifications]
            assert "candidates not judged: KeyError: 'broken'" in shown, shown
    finally:
        backend.close()
