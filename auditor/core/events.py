"""Progress events the engine emits, and the reporter and cancel-token protocols.

Events are small frozen records. Front ends (rich in the CLI, Textual in the TUI) render
them; the engine never knows which one is listening.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class CancelToken(Protocol):
    """Anything with ``is_set()``, e.g. ``threading.Event``."""

    def is_set(self) -> bool: ...


class Cancelled(Exception):
    """Raised by the engine when its cancel token is set; stored work stays."""


Reporter = Callable[["Event"], None]


@dataclass(frozen=True, slots=True)
class Event:
    """Base of all progress events."""


@dataclass(frozen=True, slots=True)
class StageKey:
    """Which stage of an audit plan: its kind ("baseline", "align", "aligned", "compare"),
    the recipe it belongs to ("" for an audit of one recipe), the training seed of a seed
    replicate (None: not replicated), the untrained format it evaluates in ("": the
    audit's own format), for a "checkpoint" evaluation the training step it was saved at,
    and in a candidate audit the candidate's label."""

    kind: str
    recipe: str = ""
    seed: int | None = None
    format: str = ""
    step: int | None = field(default=None, kw_only=True)  # keyword-only: never positional
    candidate: str = field(default="", kw_only=True)

    @property
    def name(self) -> str:
        """The stage's name in a one-recipe audit: "baseline", "aligned (cloze)",
        "checkpoint 20", "candidate 2 (cloze)", "compare 2"."""
        if self.step is not None:
            return f"{self.kind} {self.step}"
        kind = f"{self.kind} {self.candidate}" if self.candidate else self.kind
        return f"{kind} ({self.format})" if self.format else kind


@dataclass(frozen=True, slots=True)
class PlanAnnounced(Event):
    """The whole plan of an audit, announced before its first stage starts: every stage
    in the order it runs (a stage of several seeds once per seed)."""

    stages: tuple[StageKey, ...]
    method: str = "dpo"
    target: tuple[str, ...] = ()
    seeds: tuple[int, ...] = ()  # the seed replicates (): a single run
    formats: tuple[str, ...] = ()  # the untrained formats evaluated besides the audit's own
    orders: str = "none"


@dataclass(frozen=True, slots=True)
class StageStarted(Event):
    stage: str  # "baseline", "align", "aligned", "compare", "aligned (cloze)", or a label
    detail: str = ""
    key: StageKey | None = None  # the stage's identity in the announced plan


@dataclass(frozen=True, slots=True)
class StageFinished(Event):
    stage: str
    skipped: bool = False  # True when a stored result was reused
    detail: str = ""
    key: StageKey | None = None


@dataclass(frozen=True, slots=True)
class ItemsScored(Event):
    """Evaluation progress after a batch."""

    run_id: str
    done: int
    total: int
    rate: float  # items per second in this session
    eta_s: float | None


@dataclass(frozen=True, slots=True)
class TrainStep(Event):
    """One logging step of alignment training.

    ``metrics`` are trl's log of the step, named by the method's trainer: every method logs
    ``loss``, ``grad_norm``, ``learning_rate``, ``rewards/chosen|rejected|margins`` and
    ``logps/chosen|rejected``; the pairwise ones ``rewards/accuracies``; kto ``kl``; orpo
    ``nll_loss``, ``log_odds_ratio``, ``log_odds_chosen``; simpo ``nll_loss``.
    """

    step: int
    total_steps: int
    epoch: float
    metrics: dict[str, float] = field(default_factory=dict)  # loss, rewards/margins, ...
    eta_s: float | None = None
    method: str = "dpo"  # the alignment method (auditor.align.methods)


@dataclass(frozen=True, slots=True)
class CellUpdated(Event):
    """A spillover-table cell (attribute × context) has a new value; ``seed``: the cell of
    one seed replicate's own table (None: the audit's table, pooled when replicated)."""

    attribute: str
    context: str
    payload: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class Message(Event):
    """A human-readable note (e.g. 'resuming from checkpoint-12')."""

    text: str
    level: str = "info"


def null_reporter(event: Event) -> None:
    """A reporter that drops everything."""


class NeverCancelled:
    """A cancel token that is never set."""

    def is_set(self) -> bool:
        return False


def check_cancel(token: CancelToken | None) -> None:
    """Raise Cancelled when ``token`` is set."""
    if token is not None and token.is_set():
        raise Cancelled("cancelled")
