"""Engine events from a worker thread to the UI thread, coalesced.

The engine calls the bridge (a ``Reporter``) on its worker thread. Events wait in a
buffer; the first one after a drain posts a single ``EngineEvents`` message, and the UI
thread drains everything buffered when it handles it. However fast the engine reports,
at most one message is queued, and between two drains only the latest ``ItemsScored``
of each run and the latest value of each table cell are kept, in the place of the first.
Training steps are all kept (they are the curve), as are stage changes and messages.
"""

from __future__ import annotations

import threading

from auditor.core.events import CellUpdated, Event, ItemsScored
from tui.messages import EngineEvents


def _slot(event: Event) -> tuple | None:
    """Events with the same slot supersede each other between drains."""
    if isinstance(event, ItemsScored):
        return ("items", event.run_id)
    if isinstance(event, CellUpdated):
        return ("cell", event.seed, event.attribute, event.context)
    return None


class EventBridge:
    """A thread-safe reporter that posts to ``target`` (anything with ``post_message``)."""

    def __init__(self, target) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._pending: list[Event] = []
        self._posted = False
        self.received = 0  # events reported, for tests and diagnostics

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.received += 1
            slot = _slot(event)
            index = next(
                (i for i, e in enumerate(self._pending) if slot is not None and _slot(e) == slot),
                None,
            )
            if index is None:
                self._pending.append(event)
            else:  # in place, so it stays before any later stage change
                self._pending[index] = event
            if self._posted:
                return
            self._posted = True
        self.target.post_message(EngineEvents())

    @property
    def idle(self) -> bool:
        """Nothing buffered and no message on its way."""
        with self._lock:
            return not self._pending and not self._posted

    def drain(self) -> list[Event]:
        """Everything buffered, oldest first (call on the UI thread)."""
        with self._lock:
            events, self._pending, self._posted = self._pending, [], False
        return events


class AnySet:
    """A cancel token set when any of ``events`` is set."""

    def __init__(self, *events) -> None:
        self.events = events

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)
