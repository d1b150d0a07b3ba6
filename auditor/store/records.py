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


def first_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of an error, for a stored record."""
    return ((str(exc).splitlines() or [type(exc).__name__])[0])[:limit]


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
    settings: dict = field(default_factory=dict)
    data_checksum: str | None = None
    mode: str | None = None
    template: str | None = None
    versions: dict = field(default_factory=dict)
    git_commit: str | None = None
    total: int | None = None
    record: dict = field(default_factory=dict)
    done: int = 0
    live: bool | None = None

    @property
    def shown_status(self) -> str:
        return shown_status(self.status, self.live)

    @classmethod
    def from_row(cls, row: dict) -> RunRecord:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in row.items() if k in known})

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class AuditOutcome:
    """What an audit keeps in its record as its stages run: the data it read, the adapter it
    trained, the error that stopped it, and at the end its tables. Keys this version does
    not know (written by a newer one) are kept in ``extra``."""

    bbq: str = ""
    adapter_dir: str = ""
    error: str = ""
    table: dict | None = None
    target_all: dict | None = None
    heldout_ids: tuple[str, ...] = ()
    eval_items: int = 0
    rotation: dict | None = None  # stats.position.RotationChange.to_dict()
    transfer_runs: dict = field(default_factory=dict)  # format -> {"baseline", "aligned"}
    format_transfer: dict | None = None  # {"format", "baseline", "aligned", "table"}
    replicates: dict = field(default_factory=dict)  # str(seed) -> seed, train_run, aligned_run, adapter_dir
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict) -> AuditOutcome:
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        values = {k: v for k, v in (data or {}).items() if k in known}
        if "heldout_ids" in values:
            values["heldout_ids"] = tuple(values["heldout_ids"])
        return cls(**values, extra={k: v for k, v in (data or {}).items() if k not in known})


def outcome(**fields: Any) -> dict:
    """A partial audit record to merge into the stored one; every name must be a field of
    ``AuditOutcome`` (a typo is an error, not a silently unread key)."""
    known = {f.name for f in dataclasses.fields(AuditOutcome)} - {"extra"}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise TypeError(f"unknown audit record fields: {unknown}")
    return {k: list(v) if isinstance(v, (tuple, frozenset, set)) else v
            for k, v in fields.items()}


@dataclass(frozen=True)
class AuditRecord:
    """One stored audit: its resolved profile, its runs, and its outcome so far; ``live`` as
    in `RunRecord`."""

    id: str
    key: str
    profile: dict
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

    @classmethod
    def from_row(cls, row: dict) -> AuditRecord:
        return cls(row["id"], row["key"], row["profile"] or {}, row["status"], row["created"],
                   row["updated"], row.get("baseline_run"), row.get("train_run"),
                   row.get("aligned_run"), AuditOutcome.from_json(row.get("record") or {}),
                   row.get("live"))
