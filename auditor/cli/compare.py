"""`spillover compare` and `spillover gate`: the spillover table of stored results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

from auditor.audit.profiles import StatsSection
from auditor.cli.gating import gate_exit, gate_options, gate_section
from auditor.cli.options import (
    F,
    bbq_option,
    emit,
    open_store,
    report_options,
    settings_options,
    store_option,
    wants_flips,
)

if TYPE_CHECKING:
    from auditor.store.db import Store


def _target_options(func: F) -> F:
    func = click.option(
        "--train-run",
        default=None,
        metavar="RUN",
        help="The training run (from `spillover align`) whose held-out items the target is "
        "compared on; a second table shows the target on all its items.",
    )(func)
    return click.option(
        "--target",
        multiple=True,
        default=("Gender_identity",),
        show_default=True,
        help="The attribute(s) the model was aligned for.",
    )(func)


def _notes(store: Store, run_a: str, run_b: str) -> tuple[str, ...]:
    """Notes for two runs' report: a comparison across prompt formats."""
    from auditor.interop.formats import prompt_format_note

    note = prompt_format_note(store, run_a, run_b)
    return (note,) if note else ()


def _resolved(
    store: Store, run_a: str, run_b: str, train_run: str | None
) -> tuple[str, str, str | None]:
    """The runs' (and training run's) whole ids, each prefix resolved once per command."""
    from auditor.audit.history import resolve_run_id

    return (
        resolve_run_id(store, run_a),
        resolve_run_id(store, run_b),
        train_run and resolve_run_id(store, train_run),
    )


def _say(notes: Iterable[str]) -> None:
    for note in notes:
        click.echo(f"note: {note}", err=True)


@click.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@_target_options
@settings_options(StatsSection)
@bbq_option
@store_option
@report_options
def compare_cmd(
    run_a: str,
    run_b: str,
    target: tuple[str, ...],
    train_run: str | None,
    correction: str,
    alpha: float,
    n_boot: int,
    seed: int,
    accuracy_test: str,
    bbq: str | None,
    store_path: str | None,
    fmt: str,
    outputs: tuple[str, ...],
    appends: tuple[str, ...],
) -> None:
    """The spillover table of two stored runs: RUN_A before, RUN_B after (id prefixes).
    Runs scored with --orders also get their paired position bias and order consistency."""
    from auditor.audit.report import runs_report

    stats = dict(
        correction=correction, alpha=alpha, n_boot=n_boot, seed=seed, accuracy_test=accuracy_test
    )
    with open_store(store_path, must_exist=True) as store:
        given = (run_a, run_b)
        run_a, run_b, train_run = _resolved(store, run_a, run_b, train_run)
        notes = _notes(store, run_a, run_b)
        report, _ = runs_report(
            store,
            run_a,
            run_b,
            bbq=bbq,
            target=target,
            train_run=train_run,
            stats=stats,
            notes=notes,
            flips=wants_flips(outputs),
            given=given,
        )
    _say(notes)
    emit(report, fmt, outputs, appends)


@click.command("gate")
@click.argument("ids", nargs=-1, required=True, metavar="AUDIT | RUN_A RUN_B")
@click.option(
    "--profile",
    "profile_name",
    default=None,
    help="Take thresholds from this profile's [gate] section (default: the audit's).",
)
@_target_options
@bbq_option
@store_option
@gate_options
@report_options
def gate_cmd(
    ids: tuple[str, ...],
    profile_name: str | None,
    target: tuple[str, ...],
    train_run: str | None,
    bbq: str | None,
    store_path: str | None,
    fmt: str,
    outputs: tuple[str, ...],
    appends: tuple[str, ...],
    **thresholds: Any,
) -> None:
    """Gate a stored audit (or two runs): exit 0 pass, 1 spillover found, 2 bad input or
    nothing it can judge (it fails closed), 3 runtime failure, 4 inconclusive (--gate-mode
    noninferiority: nothing failed, but a checked cell was not shown within its margin).
    Prints the reason for every failing or inconclusive cell. Two runs are compared with
    the --profile's [stats] accuracy_test."""
    from auditor.audit.history import load_audit
    from auditor.audit.profiles import GateSection, build_profile, load_profile
    from auditor.audit.report import audit_report, runs_report
    from auditor.core.errors import InputError

    if len(ids) > 2:
        raise InputError("gate takes one audit id or two run ids")
    chosen = load_profile(profile_name) if profile_name else None
    base = chosen.gate if chosen else None
    with open_store(store_path, must_exist=True) as store:
        if len(ids) == 1:
            result = load_audit(store, ids[0])
            profile = build_profile(result.profile)
            section = gate_section(base or profile.gate, **thresholds)
            subject = {"title": f"audit {result.audit_id}", "audit": result.audit_id}
            report, verdict = audit_report(
                store,
                result,
                subject,
                section=section,
                bbq=bbq or profile.data.bbq or None,
                flips=wants_flips(outputs),
            )
        else:
            section = gate_section(base or GateSection(), **thresholds)
            test = chosen.stats.accuracy_test if chosen else "mcnemar"
            run_a, run_b, train_run = _resolved(store, ids[0], ids[1], train_run)
            notes = _notes(store, run_a, run_b)
            report, verdict = runs_report(
                store,
                run_a,
                run_b,
                bbq=bbq,
                target=target,
                train_run=train_run,
                stats={"accuracy_test": test},
                section=section,
                notes=notes,
                flips=wants_flips(outputs),
                given=(ids[0], ids[1]),
            )
            _say(notes)
    emit(report, fmt, outputs, appends)
    gate_exit(verdict)
