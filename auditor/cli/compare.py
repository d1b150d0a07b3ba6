"""`spillover compare` and `spillover gate`: the spillover table of stored results."""

from __future__ import annotations

import click

from auditor.audit.profiles import StatsSection
from auditor.cli.options import (
    bbq_option,
    emit,
    gate_exit,
    gate_options,
    gate_section,
    gated_report,
    open_store,
    report_options,
    settings_options,
    store_option,
    with_controls,
    with_flips,
)


def _target_options(func):
    func = click.option(
        "--train-run", default=None, metavar="RUN",
        help="The training run (from `spillover align`) whose held-out items the target is "
        "compared on; a second table shows the target on all its items.")(func)
    return click.option("--target", multiple=True, default=("Gender_identity",),
                        show_default=True, help="The attribute(s) the model was aligned for.")(func)


def _tables(store, run_a, run_b, bbq, target, train_run, **stats):
    """The spillover table (target on held-out items when ``train_run``), and the target
    on all its items (only with ``train_run``)."""
    from auditor.audit.comparison import compare_stored

    done = compare_stored(store, run_a, run_b, bbq=bbq, target=target, train_run=train_run,
                          **stats)
    return done.table, done.target_all


def _runs_subject(store, given, run_a, run_b) -> dict:
    """The report's subject for two runs (``given``: their ids as typed; ``run_a``,
    ``run_b``: resolved); notes (said on stderr too) flag a comparison across prompt
    formats."""
    from auditor.interop.formats import prompt_format_note

    subject = {"title": f"{given[0]} → {given[1]}", "before": given[0], "after": given[1]}
    for side, run_id in (("before", run_a), ("after", run_b)):
        run = store.run(run_id)
        lm_eval = run.settings.get("lm_eval") or {}
        version = f", lm-eval {lm_eval['lm_eval_version']}" if lm_eval.get("lm_eval_version") else ""
        subject[f"{side} run"] = f"{run.id}: {run.model} ({run.mode}{version})"
    note = prompt_format_note(store, run_a, run_b)
    if note:
        subject["notes"] = [note]
        click.echo(f"note: {note}", err=True)
    return subject


@click.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@_target_options
@settings_options(StatsSection)
@bbq_option
@store_option
@report_options
def compare_cmd(run_a, run_b, target, train_run, correction, alpha, n_boot, seed,
                accuracy_test, bbq, store_path, fmt, outputs):
    """The spillover table of two stored runs: RUN_A before, RUN_B after (id prefixes).
    Runs scored with --orders also get their paired position bias and order consistency."""
    from auditor.audit.history import resolve_run_id, rotation_stored
    from auditor.reports.document import Report

    with open_store(store_path, must_exist=True) as store:
        given = (run_a, run_b)
        run_a, run_b = resolve_run_id(store, run_a), resolve_run_id(store, run_b)  # once
        train_run = train_run and resolve_run_id(store, train_run)
        table, target_all = _tables(store, run_a, run_b, bbq, target, train_run,
                                    correction=correction, alpha=alpha, n_boot=n_boot, seed=seed,
                                    accuracy_test=accuracy_test)
        subject = _runs_subject(store, given, run_a, run_b)
        rotation = rotation_stored(store, run_a, run_b, bbq=bbq, alpha=alpha, n_boot=n_boot,
                                   seed=seed)
        report = with_flips(Report(table, subject, target_all=target_all, rotation=rotation),
                            store, run_a, run_b, bbq, outputs)
    emit(report, fmt, outputs)


@click.command("gate")
@click.argument("ids", nargs=-1, required=True, metavar="AUDIT | RUN_A RUN_B")
@click.option("--profile", "profile_name", default=None,
              help="Take thresholds from this profile's [gate] section (default: the audit's).")
@_target_options
@bbq_option
@store_option
@gate_options
@report_options
def gate_cmd(ids, profile_name, target, train_run, bbq, store_path, fmt, outputs, **thresholds):
    """Gate a stored audit (or two runs): exit 0 pass, 1 spillover found, 2 bad input or
    nothing it can judge (it fails closed), 3 runtime failure, 4 inconclusive (--gate-mode
    noninferiority: nothing failed, but a checked cell was not shown within its margin).
    Prints the reason for every failing or inconclusive cell. Two runs are compared with
    the --profile's [stats] accuracy_test."""
    from auditor.audit.gate_inputs import run_problems, training_problems
    from auditor.audit.history import load_audit, resolve_run_id
    from auditor.audit.profiles import GateSection, build_profile, load_profile
    from auditor.cli.audit import audit_problems
    from auditor.core.errors import InputError

    if len(ids) > 2:
        raise InputError("gate takes one audit id or two run ids")
    chosen = load_profile(profile_name) if profile_name else None
    base = chosen.gate if chosen else None
    with open_store(store_path, must_exist=True) as store:
        if len(ids) == 1:
            result = load_audit(store, ids[0])
            profile = build_profile(result.profile)
            base = base or profile.gate
            table, target_all = result.table, result.target_all
            subject = {"title": f"audit {result.audit_id}", "audit": result.audit_id}
            refusals = audit_problems(store, result)
            runs, bbq = (result.baseline_run, result.aligned_run), bbq or profile.data.bbq or None
        else:
            base = base or GateSection()
            test = chosen.stats.accuracy_test if chosen else "mcnemar"
            given, ids = ids, tuple(resolve_run_id(store, i) for i in ids)  # resolved once
            train_run = train_run and resolve_run_id(store, train_run)
            table, target_all = _tables(store, ids[0], ids[1], bbq, target, train_run,
                                        accuracy_test=test)
            subject = _runs_subject(store, given, *ids)
            runs = ids
            refusals = run_problems(store, *ids)
            if train_run:
                record = store.run(train_run).record
                refusals += training_problems(store, train_run, record.get("adapter_dir"))
        section = gate_section(base, **thresholds)
        report, verdict = gated_report(table, section, subject, target_all, refusals)
        if len(ids) == 1:
            report = with_controls(report, result)
        else:
            from dataclasses import replace

            from auditor.audit.history import rotation_stored

            report = replace(report, rotation=rotation_stored(store, *ids, bbq=bbq))
        report = with_flips(report, store, *runs, bbq, outputs)
    emit(report, fmt, outputs)
    gate_exit(verdict)
