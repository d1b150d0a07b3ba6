"""The stage tracker with more stages than lines (a candidate audit of many checkpoints):
which stages it shows, and the run screen keeping the stage running in view."""

from __future__ import annotations

import dataclasses

import pytest

from auditor.audit.profiles import load_profile
from tui import SpilloverApp
from tui.screens.run import RunScreen
from tui.state import DONE, RUNNING, StageState
from tui.widgets.stages import StageTracker, window

from .conftest import plain
from .data import PROFILES
from .fakes import ReplayBackend


def test_the_trackers_window_fits_its_lines_and_keeps_the_current_stage():
    for n in range(1, 20):
        for lines in range(0, 22):
            for current in range(n):
                start, end = window(n, lines, current)
                assert 0 <= start <= current < end <= n
                if lines == 0 or n <= lines:
                    assert (start, end) == (0, n)
                    continue
                counts = (start > 0) + (end < n) if lines >= 3 else 0
                assert (end - start) + counts == lines  # every line used, none over
                if lines >= 4:  # room for two stages: the one before it too
                    assert current == 0 or start < current


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), (150, 50)])
async def test_a_tracker_of_many_candidates_keeps_the_stage_running_in_view(tui_data, size):
    """Six checkpoints as candidates on the run screen: more stages than the tracker's
    lines. It shows those around the stage running and counts the ones it hides."""
    models = [f"run/checkpoint-{100 * i}" for i in range(1, 7)]
    profile = load_profile(
        str(PROFILES / "demo.toml"), [f"candidate.models={models!r}".replace("'", '"')]
    )
    backend = ReplayBackend(tui_data, fail="not run")
    app = SpilloverApp(backend)
    try:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await app.push_screen(RunScreen(backend, profile))
            await pilot.pause()
            tracker = app.screen.query_one(StageTracker)
            stages = [
                StageState(s.name, DONE, title=s.title) for s in app.screen.progress.stages.values()
            ]
            n, lines = len(stages), tracker.content_region.height
            assert n >= 13 and 3 <= lines < n  # the base, six candidates, six comparisons
            for running in (n - 2, 2, 0, n - 1):
                tracker.show(
                    [
                        dataclasses.replace(s, status=RUNNING) if i == running else s
                        for i, s in enumerate(stages)
                    ]
                )
                await pilot.pause()
                shown = plain(tracker.content).splitlines()
                assert len(shown) == lines
                rows = [line for line in shown if "more" not in line]
                hidden = [int(line.split()[1]) for line in shown if "more" in line]
                assert len(rows) + sum(hidden) == n  # every stage shown or counted
                assert sum("running" in line for line in rows) == 1, shown
                if running > 0:  # and the one before it
                    assert stages[running - 1].label in "\n".join(rows)
    finally:
        backend.close()
