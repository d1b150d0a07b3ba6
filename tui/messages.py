"""Textual messages a worker thread posts to the screen that started it."""

from __future__ import annotations

from textual.message import Message


class EngineEvents(Message):
    """Engine events are waiting in the bridge: drain them (one of these at a time)."""


class AuditFinished(Message):
    """The audit's result, with the stored training log when training was not rerun (and
    each seed replicate's, by seed); ``from_store`` when it was read back, not run."""

    def __init__(
        self, result, stored_steps=(), seed_steps=None, from_store=False, candidates=(), why=""
    ) -> None:
        super().__init__()
        self.result = result
        self.candidates = list(candidates)  # several candidates: (result, verdict) each
        self.why = why  # why the candidates could not be judged ("" when they were)
        self.from_store = from_store  # read back from the store: no stage ran
        self.stored_steps = list(stored_steps)
        self.seed_steps = dict(seed_steps or {})


class AuditStopped(Message):
    """The audit ended without a result: ``status`` is "cancelled" or "failed"."""

    def __init__(self, status: str, text: str) -> None:
        super().__init__()
        self.status = status
        self.text = text


class AdapterMissing(Message):
    """The audit's finished training run has lost its adapter: ask what to do."""

    def __init__(self, problem) -> None:
        super().__init__()
        self.problem = problem  # auditor.audit.preflight.MissingAdapter


class TrainLogLoaded(Message):
    """The stored steps of a resumed training run, before the first one reported live."""

    def __init__(self, steps: list) -> None:
        super().__init__()
        self.steps = steps


class HistoryLoaded(Message):
    """The stored audits and evaluation runs, newest first."""

    def __init__(self, audits: list[dict], runs: list[dict]) -> None:
        super().__init__()
        self.audits, self.runs = audits, runs


class AuditOpened(Message):
    """A finished audit read back from the store (an ``AuditResult``), with the
    candidates of its candidate audit when it has several ((result, verdict) each)."""

    def __init__(self, result, candidates=(), why="") -> None:
        super().__init__()
        self.result = result
        self.candidates = list(candidates)
        self.why = why  # why the candidates could not be judged ("" when they were)


class MatrixLoaded(Message):
    """A profile's spillover matrix read back, with each recipe's AuditResult by audit id."""

    def __init__(self, matrix, results: dict, title: str) -> None:
        super().__init__()
        self.matrix, self.results, self.title = matrix, results, title


class AuditChecked(Message):
    """Model and data of ``profile`` passed the pre-flight check: the audit can start."""

    def __init__(self, profile) -> None:
        super().__init__()
        self.profile = profile


class AuditDeleted(Message):
    """``audit_id`` is deleted, with the stored runs in ``runs`` (those no other audit used)."""

    def __init__(self, audit_id: str, runs: list[str]) -> None:
        super().__init__()
        self.audit_id, self.runs = audit_id, runs


class RunsCompared(Message):
    """The spillover table of two stored runs."""

    def __init__(self, table, run_a: str, run_b: str) -> None:
        super().__init__()
        self.table, self.run_a, self.run_b = table, run_a, run_b


class ItemsLoaded(Message):
    """The drill-down rows of filter ``show``."""

    def __init__(self, show: str, rows: list) -> None:
        super().__init__()
        self.show, self.rows = show, rows


class LoadFailed(Message):
    """A background load or check failed: ``what`` names it, ``error`` says why (one line)."""

    def __init__(self, what: str, error: str) -> None:
        super().__init__()
        self.what, self.error = what, error


def failure(exc: Exception) -> str:
    """An exception as the one line shown: the engine's own message, else type and text."""
    from auditor.core.errors import SpilloverError

    return str(exc) if isinstance(exc, SpilloverError) else f"{type(exc).__name__}: {exc}"
