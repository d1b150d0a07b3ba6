"""The report builder: an audit's, two runs' or a gate's report (subject, gate and its
refusals, format controls, trajectory, flipped items, the target on all its items), built once for
the command line and the app alike; the renderers live in ``auditor.reports``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from auditor.audit.candidates import CAVEAT
from auditor.audit.document import Report
from auditor.audit.gate import GateResult
from auditor.store.db import Store

if TYPE_CHECKING:
    from auditor.audit.profiles import GateSection, Profile
    from auditor.audit.result import AuditResult
    from auditor.stats.table import SpilloverTable


def audit_subject(result: AuditResult, profile: Profile, target: str = "") -> dict[str, Any]:
    """The subject of an audit's report: its id, profile, model, ``target`` (one of the
    profile's [align] targets) and runs; a candidate audit's, ``candidate_subject``."""
    if getattr(result, "candidate", None):
        return candidate_subject(result, profile)
    title = f"audit {result.audit_id} ({profile.name}, {profile.model.source})"
    subject: dict[str, Any] = {
        "title": f"{title}, target {target}" if target else title,
        "audit": result.audit_id,
        "profile": profile.name,
        "model": profile.model.source,
    }
    if target:
        subject["target"] = target
    subject.update(
        baseline_run=result.baseline_run,
        train_run=result.train_run,
        aligned_run=result.aligned_run,
        adapter_dir=result.adapter_dir,
    )
    if result.replicates:
        subject["replicates"] = list(result.replicates)
    return subject


def candidate_subject(result: AuditResult, profile: Profile) -> dict[str, Any]:
    """The subject of one candidate's report: the candidate, the base, the target, the
    runs, and the caveat (said in every format)."""
    c = result.candidate
    if c is None:
        raise ValueError(f"audit {result.audit_id} is not a candidate audit")
    shown = f"{c['model']} + adapter {c['adapter']}" if c.get("adapter") else c["model"]
    base = profile.model.source + (
        f" + adapter {profile.model.adapter}" if profile.model.adapter else ""
    )
    target = list(profile.candidate.target)
    return {
        "title": f"audit {result.audit_id}: candidate {c['label']} ({shown}) against the base "
        f"({base})",
        "audit": result.audit_id,
        "profile": profile.name,
        "model": profile.model.source,
        "candidate": dict(c),
        "target": target or "none named: every attribute is untargeted",
        "baseline_run": result.baseline_run,
        "candidate_run": result.aligned_run,
        "training_data_known": False,
        "notes": [CAVEAT],
    }


def audit_report(
    store: Store,
    result: AuditResult,
    subject: dict[str, Any],
    *,
    section: GateSection | None = None,
    bbq: str | None = None,
    flips: bool = False,
) -> tuple[Report, GateResult | None]:
    """An audit's report and, with a gate ``section``, the gate's verdict (refusing what
    in the audit's runs it cannot judge). ``flips``: with the items that flipped (HTML)."""
    refusals = audit_problems(store, result) if section is not None else ()
    report, verdict = _gated(result.table, section, subject, result.target_all, refusals)
    report = with_controls(report, result)
    report = with_trajectory(report, result, section)
    if flips:
        report = with_flips(report, store, result.baseline_run, result.aligned_run, bbq)
    return report, verdict


def runs_subject(
    store: Store,
    run_a: str,
    run_b: str,
    notes: Sequence[str] = (),
    given: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The subject of two runs' report, naming them as ``given`` (as typed; default the
    ids); ``notes`` (a comparison across prompt formats) are kept in it."""
    from auditor.audit.history import resolve_run_id

    named = given or (run_a, run_b)
    subject: dict[str, object] = {
        "title": f"{named[0]} → {named[1]}",
        "before": named[0],
        "after": named[1],
    }
    for side, prefix in (("before", run_a), ("after", run_b)):
        run = store.run(resolve_run_id(store, prefix))
        lm_eval = run.settings.get("lm_eval") or {}
        version = (
            f", lm-eval {lm_eval['lm_eval_version']}" if lm_eval.get("lm_eval_version") else ""
        )
        subject[f"{side} run"] = f"{run.id}: {run.model} ({run.mode}{version})"
    if notes:
        subject["notes"] = list(notes)
    return subject


def runs_report(
    store: Store,
    run_a: str,
    run_b: str,
    *,
    bbq: str | None = None,
    target: tuple[str, ...] = ("Gender_identity",),
    train_run: str | None = None,
    stats: dict[str, Any] | None = None,
    section: GateSection | None = None,
    notes: Sequence[str] = (),
    flips: bool = False,
    given: tuple[str, str] | None = None,
) -> tuple[Report, GateResult | None]:
    """Two stored runs' report (``stats``: the [stats] fields given, as for
    ``compare_stored``) and, with a gate ``section``, the gate's verdict, refusing runs
    (and a training run) it cannot judge. Runs scored in several option orders carry
    their position bias and order consistency. ``given``: the ids as the user typed them,
    for the subject."""
    from auditor.audit.comparison import compare_stored
    from auditor.audit.history import rotation_stored

    stats = stats or {}
    done = compare_stored(store, run_a, run_b, bbq=bbq, target=target, train_run=train_run, **stats)
    refusals = _run_refusals(store, run_a, run_b, train_run) if section is not None else ()
    subject = runs_subject(store, run_a, run_b, notes, given)
    report, verdict = _gated(done.table, section, subject, done.target_all, refusals)
    rotation_stats = {k: stats[k] for k in ("alpha", "n_boot", "seed") if stats.get(k) is not None}
    report = replace(
        report, rotation=rotation_stored(store, run_a, run_b, bbq=bbq, **rotation_stats)
    )
    if flips:
        report = with_flips(report, store, run_a, run_b, bbq)
    return report, verdict


def audit_problems(store: Store, result: AuditResult) -> list[str]:
    """What in a stored audit's runs stops the gate from judging it."""
    from auditor.audit.gate_inputs import run_problems, training_problems

    if not result.replicates:
        return [
            *run_problems(store, result.baseline_run, result.aligned_run),
            *training_problems(store, result.train_run, result.adapter_dir),
        ]
    found = []
    for rep in result.replicates:
        found += [
            f"seed {rep['seed']}: {p}"
            for p in (
                *run_problems(store, result.baseline_run, rep["aligned_run"]),
                *training_problems(store, rep["train_run"], rep["adapter_dir"]),
            )
        ]
    return found


def _run_refusals(store: Store, run_a: str, run_b: str, train_run: str | None) -> list[str]:
    from auditor.audit.gate_inputs import run_problems, training_problems
    from auditor.audit.history import resolve_run_id

    found = run_problems(store, resolve_run_id(store, run_a), resolve_run_id(store, run_b))
    if train_run:
        train = resolve_run_id(store, train_run)
        found += training_problems(store, train, store.run(train).record.get("adapter_dir"))
    return found


def _gated(
    table: SpilloverTable,
    section: GateSection | None,
    subject: dict[str, Any],
    target_all: SpilloverTable | None,
    refusals: Sequence[str],
) -> tuple[Report, GateResult | None]:
    """The report; with a gate ``section``, the table re-corrected with the gate's method
    and alpha, and its verdict."""
    if section is None:
        return Report(table, subject, None, target_all), None
    from auditor.audit.gate import evaluate_gate, regate

    table = regate(table, section)
    verdict = evaluate_gate(table, section, tuple(refusals))
    return Report(table, subject, verdict, target_all), verdict


def with_controls(report: Report, result: AuditResult) -> Report:
    """The report with a stored audit's format controls (option-order rotation, format
    transfer), when it has them."""
    from auditor.stats.transfer import readings

    transfer = getattr(result, "transfer", None)
    return replace(
        report,
        rotation=getattr(result, "rotation", None),
        transfer=transfer,
        transfer_format=getattr(result, "transfer_format", ""),
        transfer_readings=readings(report.table, transfer) if transfer else (),
    )


def with_trajectory(
    report: Report, result: AuditResult, section: GateSection | None = None
) -> Report:
    """The report with a stored audit's trajectory, when it has one, judged as the gate
    ``section`` judges the report (its family and mode)."""
    from auditor.audit.trajectory import stored_trajectory

    return replace(report, trajectory=stored_trajectory(result, section))


def with_flips(report: Report, store: Store, run_a: str, run_b: str, bbq: str | None) -> Report:
    """The report with the items that flipped between the runs (the HTML report shows
    them)."""
    from auditor.audit.drilldown import item_rows, row_to_dict
    from auditor.audit.history import resolve_run_id, stored_items

    a, b = resolve_run_id(store, run_a), resolve_run_id(store, run_b)
    rows = item_rows(store, stored_items(store, (a, b), bbq), a, b, show="flipped")
    return replace(report, flips=tuple(row_to_dict(r) for r in rows))
