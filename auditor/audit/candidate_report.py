"""A candidate audit's reports: one report and gate verdict per candidate, the caveat that
its training data is unknown, the overall exit code, and the one JSON document."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditor.audit.candidates import CAVEAT
from auditor.audit.document import Report
from auditor.audit.gate import GateResult
from auditor.audit.report import audit_report, candidate_subject

if TYPE_CHECKING:
    from auditor.audit.profiles import GateSection, Profile
    from auditor.audit.result import AuditResult
    from auditor.audit.trajectory import Trajectory
    from auditor.stats.table import SpilloverTable
    from auditor.store.db import Store

__all__ = ["CAVEAT", "candidate_subject"]

SCHEMA = "spillover.candidates/1"
EXIT_CODES = {"passed": 0, "degraded": 1, "cannot judge": 2, "inconclusive": 4}
WORST_FIRST = (2, 1, 4, 0)
"""The overall exit code is the worst candidate's, in this order: cannot judge (2) before
degraded (1) before inconclusive (4) before passed (0); a runtime failure (3) stops the
audit before any verdict."""


@dataclass(frozen=True)
class CandidateReport:
    """One candidate's report, and its gate verdict when gated."""

    candidate: dict[str, Any]  # label, model, adapter, step
    report: Report
    verdict: GateResult | None


def candidate_reports(
    store: Store,
    results: Iterable[AuditResult],
    profile: Profile,
    *,
    section: GateSection | None = None,
    bbq: str | None = None,
    flips: bool = False,
) -> list[CandidateReport]:
    """Each candidate's report (and verdict, with a gate ``section``), in order."""
    out = []
    for result in results:
        report, verdict = audit_report(
            store,
            result,
            candidate_subject(result, profile),
            section=section,
            bbq=bbq,
            flips=flips,
        )
        out.append(CandidateReport(dict(result.candidate or {}), report, verdict))
    return out


def checkpoint_series(steps: Sequence[int | None]) -> bool:
    """Whether candidates with these training ``steps`` (None: not a checkpoint) are
    checkpoints of one training run: two or more, no two at the same step."""
    stepped = [step for step in steps if step is not None]
    return len(stepped) >= 2 and len(set(stepped)) == len(stepped)


def candidate_trajectory(
    points: Sequence[tuple[int | None, SpilloverTable]], section: GateSection | None = None
) -> Trajectory | None:
    """The trajectory of candidates that are checkpoints of one training run: ``points``
    are each candidate's step (None: not a checkpoint) and table; with two or more
    distinct steps, every cell over them, judged as the gate ``section`` judges, ending
    at the last. None otherwise."""
    from auditor.audit.trajectory import Trajectory

    if not checkpoint_series([step for step, _ in points]):
        return None
    stepped = [(step, table) for step, table in points if step is not None]
    final = max(step for step, _ in stepped)
    return Trajectory.from_tables(stepped, gate=section, final_step=final)


def with_candidate_trajectory(
    reports: list[CandidateReport], section: GateSection | None = None
) -> list[CandidateReport]:
    """With two or more candidates that are checkpoints of one training run (each with
    its step), the last of them carries their trajectory (``candidate_trajectory``)."""
    from dataclasses import replace

    points = [(r.candidate.get("step"), r.report.table) for r in reports]
    trajectory = candidate_trajectory(points, section)
    if trajectory is None:
        return reports
    last = next(r for r in reports if r.candidate.get("step") == trajectory.final_step)
    return [
        replace(r, report=replace(r.report, trajectory=trajectory)) if r is last else r
        for r in reports
    ]


def exit_code(verdict: GateResult | None) -> int:
    return 0 if verdict is None else EXIT_CODES[verdict.outcome]


def overall_exit(reports: list[CandidateReport]) -> int:
    """The worst candidate's exit code (``WORST_FIRST``)."""
    codes = {exit_code(r.verdict) for r in reports}
    return next(code for code in WORST_FIRST if code in codes)


def candidates_document(
    reports: list[CandidateReport], profile: Profile, gated: bool
) -> dict[str, Any]:
    """The candidate audit as one JSON document: one entry per candidate with its model
    spec and full report."""
    m = profile.model
    return {
        "schema": SCHEMA,
        "base": {"model": m.source, "adapter": m.adapter},
        "target": list(profile.candidate.target),
        "training_data_known": False,
        "caveat": CAVEAT,
        "gate_mode": profile.gate.mode if gated else None,
        "exit_code": overall_exit(reports) if gated else None,
        "candidates": [
            {
                "candidate": r.candidate,
                "outcome": r.verdict.outcome if r.verdict else None,
                "exit_code": exit_code(r.verdict) if gated else None,
                "report": r.report.to_dict(),
            }
            for r in reports
        ],
    }


def chosen_candidate_report(
    store: Store,
    result: AuditResult,
    fellows: Sequence[AuditResult],
    profile: Profile,
    *,
    bbq: str | None = None,
    flips: bool = False,
) -> Report:
    """The report `spillover audit` writes (ungated) for the candidate ``result`` of a
    candidate audit whose finished candidates are ``fellows`` (in order, ``result``
    among them): the last of several checkpoints carries their trajectory."""
    ids = [f.audit_id for f in fellows]
    if result.audit_id not in ids:
        fellows, ids = [result], [result.audit_id]
    chosen = ids.index(result.audit_id)
    reports = [
        candidate_reports(store, [f], profile, bbq=bbq, flips=flips and i == chosen)[0]
        for i, f in enumerate(fellows)
    ]
    return with_candidate_trajectory(reports)[chosen].report
