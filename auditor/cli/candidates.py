"""`spillover audit --candidate/--candidate-adapter/--target`: audit checkpoints trained
elsewhere against their base, each reported and gated on its own."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from auditor.audit.candidates import is_candidate_audit, names_gate_mode, with_candidate_gate
from auditor.cli.options import F, emit, open_store, wants_flips

if TYPE_CHECKING:
    from auditor.audit.candidate_report import CandidateReport
    from auditor.audit.profiles import GateSection, Profile

__all__ = ["is_candidate_audit", "names_gate_mode", "with_candidate_gate"]  # for cli.audit


def candidate_options(func: F) -> F:
    for decorator in reversed(
        (
            click.option(
                "--candidate",
                "candidates",
                multiple=True,
                metavar="M",
                help="Audit this checkpoint against the base model, no training (folder, "
                "hub id, .gguf, smollm2-135m); repeatable (default: [candidate] models).",
            ),
            click.option(
                "--candidate-adapter",
                "candidate_adapters",
                multiple=True,
                metavar="DIR",
                help="Audit this LoRA adapter on the base model against the base; "
                "repeatable (default: [candidate] adapters).",
            ),
            click.option(
                "--target",
                "targets",
                multiple=True,
                metavar="ATTRIBUTE",
                help="The attribute the candidates' alignment targeted: marked, and left "
                "out of the untargeted cells; repeatable (default: [candidate] target; "
                "none: every attribute is untargeted).",
            ),
        )
    ):
        func = decorator(func)
    return func


def candidate_overrides(
    candidates: Sequence[str], candidate_adapters: Sequence[str], targets: Sequence[str]
) -> list[str]:
    """The flags as ``--set`` overrides of the [candidate] section (a flag replaces that
    field of the profile); a target that is not a BBQ attribute: one line, exit 2."""
    from auditor.core.errors import InputError
    from auditor.core.items import ATTRIBUTES

    for t in targets:
        if t not in ATTRIBUTES:
            raise InputError(
                f"--target {t!r}: not a BBQ attribute (choose from {', '.join(ATTRIBUTES)})"
            )
    given = {"models": candidates, "adapters": candidate_adapters, "target": targets}
    return [f"candidate.{k}={json.dumps(list(v))}" for k, v in given.items() if v]


def profile_path(profile_name: str) -> Path | None:
    from auditor.audit.profiles import available

    return Path(profile_name) if profile_name.endswith(".toml") else available().get(profile_name)


def refuse_flags(
    profile: Profile,
    *,
    matrix: bool,
    retrain_missing: bool,
    restore_from: str | None,
    targets: Sequence[str],
    **_: Any,
) -> None:
    """What a candidate audit cannot do, in one line (exit 2) before any work."""
    from auditor.core.errors import InputError

    if not is_candidate_audit(profile):
        if targets:
            raise InputError(
                "--target names what a candidate's alignment targeted: pass --candidate or "
                "--candidate-adapter (a training audit's target is align.target)"
            )
        return
    if matrix:
        raise InputError("--candidate cannot run with --matrix: audit the candidates alone")
    if retrain_missing or restore_from:
        raise InputError(
            "--retrain-missing and --restore-adapter apply to training audits, not to "
            "candidate audits (nothing is trained)"
        )


def run_candidate_audit(
    profile: Profile,
    *,
    section: GateSection,
    gated: bool,
    bbq: str | None,
    store_path: str | None,
    fmt: str,
    outputs: Sequence[str],
) -> None:
    """Run (or resume) the candidate audit, print each candidate's report, exit with the
    worst candidate's gate code when gated."""
    import sys

    from auditor.audit.candidate_report import (
        candidate_reports,
        exit_code,
        overall_exit,
        with_candidate_trajectory,
    )
    from auditor.audit.pipeline import run_candidates
    from auditor.audit.plan import audit_plan
    from auditor.audit.preflight import preflight
    from auditor.cli.interrupt import run_cancellable
    from auditor.models.distributed import world
    from auditor.models.quiet import quiet_hf

    stages = audit_plan(profile)  # a combination the engine cannot run completely: refused
    if len(stages.candidates) > 1 and fmt in ("junit", "csv"):
        from auditor.core.errors import InputError

        raise InputError(
            f"--format {fmt} prints one document per candidate: with several candidates "
            "write them with --output FILE (one file each) or use --format json"
        )
    plan = preflight(profile, bbq)  # candidates, model and data, before the store opens
    quiet_hf()
    results = run_cancellable(run_candidates, store_path, profile=profile, bbq=bbq, plan=plan)
    if not world().is_main:
        return
    with open_store(store_path) as store:
        reports = candidate_reports(
            store,
            results,
            profile,
            section=section if gated else None,
            bbq=bbq or profile.data.bbq or None,
            flips=wants_flips(outputs),
        )
    reports = with_candidate_trajectory(reports, section if gated else None)
    emit_all(reports, profile, fmt, outputs, gated)
    if not gated:
        return
    for r in reports:
        if r.verdict is None:  # pragma: no cover - every report of a gated audit has one
            continue
        label = f"candidate {r.candidate['label']}"
        click.echo(f"{label}: {r.verdict.outcome} (exit {exit_code(r.verdict)})", err=True)
        for why in r.verdict.refusals[:1]:
            click.echo(f"{label}: gate cannot judge, so it does not pass: {why}", err=True)
        for f in r.verdict.failures:
            click.echo(f"{label}: FAIL {f.attribute}/{f.context} {f.metric}: {f.reason}", err=True)
    code = overall_exit(reports)
    if code:
        sys.exit(code)


def emit_all(
    reports: list[CandidateReport], profile: Profile, fmt: str, outputs: Sequence[str], gated: bool
) -> None:
    """JSON: one document, an entry per candidate. Other formats: each candidate's report
    in turn; with several candidates each --output file gets the candidate's label before
    its suffix (report.html: report.candidate-1.html), a .json file the one document."""
    from auditor.audit.candidate_report import candidates_document
    from auditor.reports.atomic import write_text
    from auditor.reports.formats import suffix_format

    doc = json.dumps(candidates_document(reports, profile, gated), indent=2, ensure_ascii=False)
    whole = [o for o in outputs if suffix_format(o, fmt) == "json"]
    rest = [o for o in outputs if o not in whole]
    for out in whole:
        click.echo(f"wrote {write_text(Path(out), doc + chr(10))}", err=True)
    if fmt == "json":
        click.echo(doc)
    for r in reports:
        paths = rest if len(reports) == 1 else [_labelled(o, r.candidate["label"]) for o in rest]
        emit(r.report, fmt, paths, show=fmt != "json")


def _labelled(out: str, label: str) -> str:
    path = Path(out)
    return str(path.with_name(f"{path.stem}.candidate-{label}{path.suffix}"))
