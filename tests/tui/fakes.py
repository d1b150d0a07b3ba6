"""A backend whose audit replays recorded engine events (no model, no training).

Everything else (store, history, compare, drill-down) is the real backend on real data.
"""

from __future__ import annotations

import threading

from auditor.errors import InputError
from auditor.events import TrainStep, check_cancel
from tui.backend import Backend


class ReplayBackend(Backend):
    """``run_audit`` reports ``events`` in order, polling the cancel token like the engine,
    and returns ``result``. With ``pause_at_step`` it stops after that training step until
    ``resume`` is set (or it is cancelled), after setting ``paused``."""

    def __init__(self, data, *, pause_at_step: int | None = None, fail: str | None = None):
        super().__init__(data.store_path, str(data.bbq))
        self.events, self.result = data.events, data.result
        self.pause_at_step, self.fail = pause_at_step, fail
        self.paused, self.resume = threading.Event(), threading.Event()
        self.profiles: list = []
        self.reported = 0

    def run_audit(self, profile, reporter, cancel):
        self.profiles.append(profile)
        for event in self.events:
            check_cancel(cancel)
            reporter(event)
            self.reported += 1
            if isinstance(event, TrainStep) and event.step == self.pause_at_step:
                self.paused.set()
                while not self.resume.wait(0.01):
                    check_cancel(cancel)
        if self.fail:
            raise InputError(self.fail)
        return self.result
