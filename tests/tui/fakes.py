"""A backend whose audit replays recorded engine events (no model, no training).

Everything else (store, history, compare, drill-down) is the real backend on real data.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from auditor.core.errors import InputError
from auditor.core.events import Event, TrainStep, check_cancel
from tui.backend import Backend


def at_step(step: int) -> Callable[[Event], bool]:
    return lambda event: isinstance(event, TrainStep) and event.step == step


class ReplayBackend(Backend):
    """``run_audit`` reports ``events`` in order, polling the cancel token like the engine,
    and returns ``results`` (by default ``(result,)``). With ``pause_when`` it sets
    ``paused`` after the first event that matches and waits until ``resume`` is set, or
    it is cancelled."""

    def __init__(
        self,
        data,
        *,
        pause_when: Callable[[Event], bool] | None = None,
        fail: str | None = None,
        missing=None,
    ):
        super().__init__(data.store_path, str(data.bbq))
        self.events, self.result = data.events, data.result
        self.results: tuple | None = None  # what the run returns (None: the one result)
        self.pause_when, self.fail, self.missing = pause_when, fail, missing
        self.paused, self.resume = threading.Event(), threading.Event()
        self.profiles: list = []
        self.choices: list[dict] = []  # what each run was told about a missing adapter
        self.reported = 0

    def run_audit(self, profile, reporter, cancel, **missing):
        """Raises ``missing`` (a MissingAdapter), as the engine does, until told what to do."""
        self.profiles.append(profile)
        self.choices.append(missing)
        if self.missing is not None and not missing:
            raise self.missing
        for event in self.events:
            check_cancel(cancel)
            reporter(event)
            self.reported += 1
            if self.pause_when is not None and self.pause_when(event):
                self.pause_when = None
                self.paused.set()
                while not self.resume.wait(0.01):
                    check_cancel(cancel)
        if self.fail:
            raise InputError(self.fail)
        return self.results or (self.result,)


async def wait_paused(pilot, backend: ReplayBackend) -> None:
    """Wait (on the worker, not a clock) until the replay pauses, then let the UI catch up."""
    assert backend.paused.wait(10), "the replay never reached its pause"
    for _ in range(100):
        await pilot.pause()
        if pilot.app.screen.bridge.idle:
            return
    raise AssertionError("the run screen never drained the bridge")
