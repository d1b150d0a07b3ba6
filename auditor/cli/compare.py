"""`spillover compare` and `spillover gate`: the spillover table of stored results."""

from __future__ import annotations

import sys

import click

from ..bbq.locate import bbq_option
from .options import emit, gate_options, gate_section, open_store, report_options, store_option


def _target_option(func):
    return click.option("--target", multiple=True, default=("Gender_identity",),
                        show_default=True, help="The attribute(s) the model was aligned for.")(func)


@click.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@_target_option
@click.option("--correction", type=click.Choice(("holm", "bh")), default="holm", show_default=True)
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05,
              show_default=True)
@click.option("--n-boot", type=click.IntRange(min=100), default=10_000, show_default=True,
              help="Bootstrap resamples for the bias-score CIs.")
@click.option("--seed", type=int, default=0, show_default=True)
@bbq_option
@store_option
@report_options
def compare_cmd(run_a, run_b, target, correction, alpha, n_boot, seed, bbq, store_path, fmt,
                outputs):
    """The spillover table of two stored runs: RUN_A before, RUN_B after (id prefixes)."""
    from ..history import compare_stored
    from ..reports.document import Report

    with open_store(store_path) as store:
        table = compare_stored(store, run_a, run_b, bbq=bbq, target=target,
                               correction=correction, alpha=alpha, n_boot=n_boot, seed=seed)
    emit(Report(table, {"title": f"{run_a} → {run_b}", "before": run_a, "after": run_b}),
         fmt, outputs)


@click.command("gate")
@click.argument("ids", nargs=-1, required=True, metavar="AUDIT | RUN_A RUN_B")
@click.option("--profile", "profile_name", default=None,
              help="Take thresholds from this profile's [gate] section (default: the audit's).")
@_target_option
@bbq_option
@store_option
@gate_options
@report_options
def gate_cmd(ids, profile_name, target, bbq, store_path, alpha, correction, max_accuracy_drop,
             max_bias_increase, cells, fmt, outputs):
    """Gate a stored audit (or two runs): exit 0 pass, 1 spillover found, 2 bad input,
    3 runtime failure. Prints the reason for every failing cell."""
    from ..errors import InputError
    from ..gate import evaluate_gate
    from ..history import compare_stored, load_audit
    from ..profiles import GateSection, build_profile, load_profile
    from ..reports.document import Report

    if len(ids) > 2:
        raise InputError("gate takes one audit id or two run ids")
    with open_store(store_path) as store:
        if len(ids) == 1:
            result = load_audit(store, ids[0])
            base = build_profile(result.profile).gate
            table, target_all = result.table, result.target_all
            subject = {"title": f"audit {result.audit_id}", "audit": result.audit_id}
        else:
            base = GateSection()
            table = compare_stored(store, ids[0], ids[1], bbq=bbq, target=target)
            target_all, subject = None, {"title": f"{ids[0]} → {ids[1]}"}
    if profile_name:
        base = load_profile(profile_name).gate
    section = gate_section(base, alpha, correction, max_accuracy_drop, max_bias_increase, cells)
    verdict = evaluate_gate(table, section)
    emit(Report(table, subject, verdict, target_all), fmt, outputs)
    if not verdict.passed:
        for failure in verdict.failures:
            click.echo(f"FAIL {failure.attribute}/{failure.context} {failure.metric}: "
                       f"{failure.reason}", err=True)
        sys.exit(1)
