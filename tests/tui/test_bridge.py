"""The event bridge: thread-safe, one message in flight, floods coalesced, order kept."""

from __future__ import annotations

import threading

from auditor.core.events import (
    CellUpdated,
    ItemsScored,
    Message,
    StageFinished,
    StageStarted,
    TrainStep,
)
from tui.bridge import EventBridge
from tui.messages import EngineEvents


class Inbox:
    """Stands in for a screen: records what is posted (post_message is all the bridge uses)."""

    def __init__(self) -> None:
        self.posted: list = []
        self.lock = threading.Lock()

    def post_message(self, message) -> bool:
        with self.lock:
            self.posted.append(message)
        return True


def test_a_flood_posts_one_message_and_keeps_the_latest_progress():
    inbox = Inbox()
    bridge = EventBridge(inbox)
    bridge(StageStarted("baseline"))
    for done in range(1, 1001):
        bridge(ItemsScored("run-a", done, 1000, 10.0, (1000 - done) / 10))
    bridge(StageFinished("baseline"))
    bridge(StageStarted("align"))
    for step in range(1, 6):
        bridge(TrainStep(step, 5, step / 5, {"loss": 1.0 / step}))
    bridge(Message("note [bold]kept[/bold]"))

    assert len(inbox.posted) == 1 and isinstance(inbox.posted[0], EngineEvents)
    assert bridge.received == 1 + 1000 + 2 + 5 + 1
    events = bridge.drain()
    assert [type(e).__name__ for e in events] == (
        ["StageStarted", "ItemsScored", "StageFinished", "StageStarted"]
        + ["TrainStep"] * 5
        + ["Message"]
    )
    assert events[1].done == 1000  # the latest, where the first one stood
    assert [e.step for e in events if isinstance(e, TrainStep)] == [1, 2, 3, 4, 5]
    assert bridge.idle and bridge.drain() == []

    bridge(ItemsScored("run-a", 1, 2, 1.0, 1.0))  # after a drain: a new message
    assert len(inbox.posted) == 2


def test_progress_of_two_runs_and_cells_coalesce_by_slot():
    bridge = EventBridge(Inbox())
    bridge(ItemsScored("a", 1, 10, 1.0, None))
    bridge(ItemsScored("b", 1, 10, 1.0, None))
    bridge(ItemsScored("a", 5, 10, 1.0, None))
    bridge(CellUpdated("Age", "ambig", {"v": 1}))
    bridge(CellUpdated("Age", "disambig", {"v": 2}))
    bridge(CellUpdated("Age", "ambig", {"v": 3}))
    events = bridge.drain()
    assert [(e.run_id, e.done) for e in events[:2]] == [("a", 5), ("b", 1)]
    assert [(e.context, e.payload["v"]) for e in events[2:]] == [("ambig", 3), ("disambig", 2)]


def test_reporters_on_many_threads_lose_no_training_step():
    inbox = Inbox()
    bridge = EventBridge(inbox)
    drained: list = []
    stop = threading.Event()

    def consumer():  # plays the UI thread, draining while the workers report
        while not stop.is_set():
            drained.extend(bridge.drain())
        drained.extend(bridge.drain())

    def worker(offset: int):
        for step in range(500):
            bridge(TrainStep(offset + step, 1000, 0.0, {}))
            bridge(ItemsScored(f"run-{offset}", step, 500, 1.0, None))

    ui = threading.Thread(target=consumer)
    ui.start()
    threads = [threading.Thread(target=worker, args=(k * 500,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    ui.join()
    steps = sorted(e.step for e in drained if isinstance(e, TrainStep))
    assert steps == list(range(1000))
    last = {e.run_id: e.done for e in drained if isinstance(e, ItemsScored)}
    assert last == {"run-0": 499, "run-500": 499}
    assert len(inbox.posted) <= bridge.received
