"""Textual messages a worker thread posts to the screen that started it."""

from __future__ import annotations

from textual.message import Message


class EngineEvents(Message):
    """Engine events are waiting in the bridge: drain them (one of these at a time)."""


class AuditFinished(Message):
    """The audit's result, with the stored training log when training was not rerun."""

    def __init__(self, result, stored_steps=()) -> None:
        super().__init__()
        self.result = result
        self.stored_steps = list(stored_steps)


class AuditStopped(Message):
    """The audit ended without a result: ``status`` is "cancelled" or "failed"."""

    def __init__(self, status: str, text: str) -> None:
        super().__init__()
        self.status = status
        self.text = text


class Loaded(Message):
    """A background load finished: ``what`` names it, ``value`` holds it (or ``error``)."""

    def __init__(self, what: str, value=None, error: str = "") -> None:
        super().__init__()
        self.what = what
        self.value = value
        self.error = error
