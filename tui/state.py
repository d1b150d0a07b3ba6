"""What the run screen shows, as plain data folded from engine events (no Textual here)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from auditor.audit.pipeline import STAGES
from auditor.core.events import (
    CellUpdated,
    Event,
    ItemsScored,
    Message,
    StageFinished,
    StageStarted,
    TrainStep,
)
from auditor.stats.frame import attribute_order
from auditor.stats.table import Cell, Pairing, SpilloverTable

LABELS = {"baseline": "baseline eval", "align": "DPO alignment",
          "aligned": "aligned eval", "compare": "compare"}
PENDING, RUNNING, DONE, REUSED = "pending", "running", "done", "reused"
FAILED, CANCELLED = "failed", "cancelled"
MAX_MESSAGES = 50


@dataclass
class StageState:
    name: str
    status: str = PENDING
    detail: str = ""

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)


@dataclass
class AuditProgress:
    """Stages, latest evaluation progress per stage, training history and the table."""

    table: SpilloverTable
    stages: dict[str, StageState] = field(default_factory=dict)
    current: str | None = None
    evals: dict[str, ItemsScored] = field(default_factory=dict)  # by stage
    run_stages: dict[str, str] = field(default_factory=dict)  # run id -> stage
    train: list[TrainStep] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in STAGES:
            self.stages.setdefault(name, StageState(name))

    def apply(self, event: Event) -> set[str]:
        """Fold one event in; returns the parts that changed (stages, eval, train, table,
        messages)."""
        if isinstance(event, StageStarted):
            stage = self.stages.setdefault(event.stage, StageState(event.stage))
            stage.status, stage.detail, self.current = RUNNING, event.detail, event.stage
            return {"stages"}
        if isinstance(event, StageFinished):
            stage = self.stages.setdefault(event.stage, StageState(event.stage))
            if not event.skipped:
                stage.status = DONE
                return {"stages"}
            stage.status, stage.detail = REUSED, event.detail  # e.g. the stored run's id
            return {"stages", "eval", "train"}
        if isinstance(event, ItemsScored):
            stage = self.run_stages.setdefault(event.run_id, self.current or event.run_id)
            self.evals[stage] = event
            return {"eval"}
        if isinstance(event, TrainStep):
            if self.train and event.step <= self.train[-1].step:  # resumed: drop replays
                self.train = [t for t in self.train if t.step < event.step]
            self.train.append(event)
            return {"train"}
        if isinstance(event, CellUpdated):
            self.table = self.table.with_cell(Cell.from_dict(event.payload))
            return {"table"}
        if isinstance(event, Message):
            self.messages = [*self.messages, event][-MAX_MESSAGES:]
            return {"messages"}
        return set()

    def prepend_train(self, steps: list[TrainStep]) -> bool:
        """Put a resumed run's stored steps before the live ones (their totals taken from
        the live steps); whether any were added."""
        if not self.train:
            return False
        first, total = self.train[0].step, self.train[0].total_steps
        earlier = [replace(s, total_steps=total, eta_s=None) for s in steps if s.step < first]
        self.train = earlier + self.train
        return bool(earlier)

    @property
    def stored(self) -> frozenset[str]:
        """Stages whose stored result the audit reused instead of running them."""
        return frozenset(name for name, s in self.stages.items() if s.status == REUSED)

    def stop(self, status: str, reason: str = "") -> None:
        """Mark the running stage (or, when none had started, the first pending one)
        failed or cancelled, with ``reason`` as its detail; later stages say they did
        not run."""
        stage = self.stages.get(self.current) if self.current else None
        if stage is None or stage.status != RUNNING:
            stage = next((s for s in self.stages.values() if s.status == PENDING), None)
        if stage is not None:
            stage.status = status
            if reason and reason != status:
                stage.detail = reason
        for later in self.stages.values():
            if later.status == PENDING:
                later.detail = "not run"


def empty_table(profile) -> SpilloverTable:
    """The table an audit of ``profile`` will fill: target rows first, nothing measured."""
    target = tuple(profile.align.target)
    rest = tuple(a for a in attribute_order(profile.data.attributes) if a not in target)
    return SpilloverTable(
        target=target, attributes=target + rest, pairing=Pairing(0, 0, 0),
        correction=profile.stats.correction, alpha=profile.stats.alpha,
        n_boot=profile.stats.n_boot, seed=profile.stats.seed,
    )
