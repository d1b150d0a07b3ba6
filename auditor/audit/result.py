"""A finished audit as the engine hands it out (``AuditResult``), and the one way a
stored audit record becomes one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditor.core.errors import InputError
from auditor.store.records import AuditRecord

if TYPE_CHECKING:
    from auditor.audit.profiles import GateSection
    from auditor.stats.table import SpilloverTable


@dataclass(frozen=True)
class AuditResult:
    """A finished audit: its runs, the adapter it trained and the spillover table."""

    audit_id: str
    profile: dict[str, Any]
    baseline_run: str
    train_run: str | None  # None: a candidate audit trains nothing
    aligned_run: str
    table: SpilloverTable
    adapter_dir: str
    target_all: SpilloverTable | None = None  # table over all target items evaluated, if any
    heldout_ids: frozenset[str] = frozenset()  # the target's held-out items
    replicates: tuple[dict[str, Any], ...] = ()  # per training seed: ReplicateLink.to_json()
    rotation: dict[str, Any] | None = None  # position bias, order consistency (orders != none)
    transfer: SpilloverTable | None = None  # the same runs in an untrained format
    transfer_format: str = ""  # its name ("cloze")
    transfer_runs: dict[str, Any] | None = None  # {"baseline": id, "aligned": id or {seed: id}}
    trajectory: dict[str, Any] | None = None  # {"final_step", "points": [{"step", "run", ...}]}
    candidate: dict[str, Any] | None = None  # a candidate audit's candidate (its aligned run)

    def items_of(self, attribute: str) -> frozenset[str] | None:
        """The items a cell of ``attribute`` was computed on (None: every answered item)."""
        return self.heldout_ids if self.heldout_ids and attribute in self.table.target else None


def noninferiority_section(profile: object) -> GateSection | None:
    """A stored audit ``profile``'s gate section where it judges non-inferiority (how its
    results are read), else None."""
    if not isinstance(profile, dict):
        return None
    gate = profile.get("gate")
    if not isinstance(gate, dict) or gate.get("mode") != "noninferiority":
        return None
    from auditor.audit.profiles import build_profile

    return build_profile(profile).gate


def result_of(record: AuditRecord) -> AuditResult:
    """A finished stored audit as an ``AuditResult``, nothing recomputed; InputError when
    the audit has not finished."""
    from auditor.stats import SpilloverTable

    out = record.outcome
    if record.status != "done" or out.table is None:
        raise InputError(
            f"audit {record.id} is {record.status or 'unfinished'}; "
            "rerun `spillover audit` with its profile to finish it"
        )
    if not record.baseline_run or not record.aligned_run:
        raise InputError(f"audit {record.id} is done but names no baseline or aligned run")
    seeds = out.table.get("seeds") or ()
    links = {rep.seed: rep for rep in out.replicate_links()}
    replicates = tuple(links[s].to_json() for s in seeds if s in links)
    transfer, fmt, runs = None, "", None
    if out.format_transfer:
        stored = out.format_transfer
        transfer, fmt = SpilloverTable.from_dict(stored["table"]), stored["format"]
        runs = {k: stored[k] for k in ("baseline", "aligned")}
    return AuditResult(
        record.id,
        record.profile,
        record.baseline_run,
        record.train_run,
        record.aligned_run,
        SpilloverTable.from_dict(out.table),
        out.adapter_dir,
        SpilloverTable.from_dict(out.target_all) if out.target_all else None,
        frozenset(out.heldout_ids),
        replicates,
        out.rotation,
        transfer,
        fmt,
        runs,
        out.trajectory,
        out.candidate,
    )
