"""Typed records of the store: runs, audits, the audit's stored outcome, and the one status
vocabulary every kind of work moves through."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from auditor.core.events import Cancelled

Status = Literal["created", "running", "done", "cancelled", "interrupted", "failed"]
"""created → running → done | cancelled | interrupted | failed."""

STATUSES: tuple[str, ...] = get_args(Status)


def ending_status(exc: BaseException) -> Status:
    """How work that raised ``exc`` ended: ``cancelled`` by the cancel token (the first
    Ctrl-C, the app's cancel), ``failed`` by an error, ``interrupted`` by anything else
    (a second Ctrl-C, SIGTERM, SystemExit)."""
    if isinstance(exc, Cancelled):
        return "cancelled"
    if isinstance(exc, Exception):
        return "failed"
    return "interrupted"


NO_LIVE_PROCESS = "running (no live process)"
"""How a ``running`` run or audit whose process has ended reads (killed, crashed)."""


def shown_status(status: str, live: bool | None) -> str:
    """The status to show: ``running`` work that no live process holds says so."""
    return NO_LIVE_PROCESS if status == "running" and live is False else status


@dataclass(frozen=True)
class RunRecord:
    """One stored evaluation or training run; ``done``: answers stored so far; ``live``,
    for a ``running`` run, whether a process still holds it (None: not running, or it
    cannot be told)."""

    id: str
    kind: str
    key: str
    status: Status
    created: str
    updated: str
    model: str | None = None
    adapter: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    data_checksum: str | None = None
    mode: str | None = None
    template: str | None = None
    versions: dict[str, Any] = field(default_factory=dict)
    git_commit: str | None = None
    total: int | None = None
    record: dict[str, Any] = field(default_factory=dict)
    done: int = 0
    live: bool | None = None

    @property
    def shown_status(self) -> str:
        return shown_status(self.status, self.live)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunRecord:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in row.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class RunLink:
    """A run an audit links to: its role ("baseline", "train", "aligned", "checkpoint"),
    the seed replicate it belongs to (None: not replicated) and the untrained format it
    was evaluated in ("": the audit's own)."""

    role: str
    run_id: str
    seed: int | None = None
    format: str = ""


@dataclass(frozen=True)
class ReplicateLink:
    """One seed replicate of an audit: its training run, adapter and aligned evaluation,
    the aligned model's runs in the untrained formats, and its rotation change."""

    seed: int
    train_run: str = ""
    aligned_run: str = ""
    adapter_dir: str = ""
    transfer: dict[str, Any] = field(default_factory=dict)  # format -> aligned run in that format
    rotation: dict[str, Any] | None = (
        None  # stats.position.RotationChange.to_dict() against the baseline
    )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReplicateLink:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> dict[str, Any]:
        """The stored form; fields at their empty default are left out (as before them)."""
        out = dataclasses.asdict(self)
        return {k: v for k, v in out.items() if k not in ("transfer", "rotation") or v}


@dataclass(frozen=True)
class AuditOutcome:
    """What an audit keeps in its record as its stages run: the data it read, the adapter it
    trained, the error that stopped it, and at the end its tables. Keys this version does
    not know (written by a newer one) are kept in ``extra``."""

    bbq: str = ""
    adapter_dir: str = ""
    error: str = ""
    table: dict[str, Any] | None = None
    target_all: dict[str, Any] | None = None
    heldout_ids: tuple[str, ...] = ()
    eval_items: int = 0
    rotation: dict[str, Any] | None = None  # stats.position.RotationChange.to_dict()
    transfer_runs: dict[str, Any] = field(default_factory=dict)  # format -> {"baseline", "aligned"}
    format_transfer: dict[str, Any] | None = None  # {"format", "baseline", "aligned", "table"}
    replicates: dict[str, Any] = field(default_factory=dict)  # str(seed) -> ReplicateLink.to_json()
    checkpoint_runs: dict[str, Any] = field(
        default_factory=dict
    )  # str(step) -> checkpoint's eval run
    trajectory: dict[str, Any] | None = None  # {"final_step", "points": [{"step", "run", "table"}]}
    candidate: dict[str, Any] | None = (
        None  # a candidate audit's candidate: label, model, adapter, step
    )
    extra: dict[str, Any] = field(default_factory=dict)

    def replicate_links(self) -> tuple[ReplicateLink, ...]:
        """The seed replicates' runs, typed, in the order of their seeds."""
        return tuple(
            ReplicateLink.from_json(v)
            for _, v in sorted(self.replicates.items(), key=lambda kv: int(kv[0]))
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuditOutcome:
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        values = {k: v for k, v in (data or {}).items() if k in known}
        if "heldout_ids" in values:
            values["heldout_ids"] = tuple(values["heldout_ids"])
        return cls(**values, extra={k: v for k, v in (data or {}).items() if k not in known})


def outcome(**fields: Any) -> dict[str, Any]:
    """A partial audit record to merge into the stored one; every name must be a field of
    ``AuditOutcome`` (a typo is an error, not a silently unread key)."""
    known = {f.name for f in dataclasses.fields(AuditOutcome)} - {"extra"}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise TypeError(f"unknown audit record fields: {unknown}")
    return {k: list(v) if isinstance(v, (tuple, frozenset, set)) else v for k, v in fields.items()}


@dataclass(frozen=True)
class AuditRecord:
    """One stored audit: its resolved profile, its runs, and its outcome so far; ``live`` as
    in `RunRecord`."""

    id: str
    key: str
    profile: dict[str, Any]
    status: Status
    created: str
    updated: str
    baseline_run: str | None = None
    train_run: str | None = None
    aligned_run: str | None = None
    outcome: AuditOutcome = field(default_factory=AuditOutcome)
    live: bool | None = None

    @property
    def shown_status(self) -> str:
        return shown_status(self.status, self.live)

    def links(self) -> tuple[RunLink, ...]:
        """Every run the audit links to, each once: its run columns, the untrained-format
        runs, every seed replicate's runs and a trajectory's checkpoint evaluations."""
        out = [
            RunLink(role, run)
            for role, run in (
                ("baseline", self.baseline_run),
                ("train", self.train_run),
                ("aligned", self.aligned_run),
            )
            if run
        ]
        for fmt, runs in self.outcome.transfer_runs.items():
            out += [
                RunLink(role, runs[role], None, fmt)
                for role in ("baseline", "aligned")
                if runs.get(role)
            ]
        for rep in self.outcome.replicate_links():
            out += [
                RunLink("train", rep.train_run, rep.seed),
                RunLink("aligned", rep.aligned_run, rep.seed),
            ]
            out += [RunLink("aligned", run, rep.seed, fmt) for fmt, run in rep.transfer.items()]
        out += [
            RunLink("checkpoint", run)
            for _, run in sorted(self.outcome.checkpoint_runs.items(), key=lambda kv: int(kv[0]))
        ]
        first: dict[str, RunLink] = {}
        for link in out:
            if link.run_id:
                first.setdefault(link.run_id, link)  # a run named twice: its first link
        return tuple(first.values())

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AuditRecord:
        return cls(
            row["id"],
            row["key"],
            row["profile"] or {},
            row["status"],
            row["created"],
            row["updated"],
            row.get("baseline_run"),
            row.get("train_run"),
            row.get("aligned_run"),
            AuditOutcome.from_json(row.get("record") or {}),
            row.get("live"),
        )
