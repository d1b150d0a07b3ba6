"""`spillover audit` and `spillover demo`: the whole audit, headless."""

from __future__ import annotations

from typing import Any

import click

from auditor.audit.profiles import Profile
from auditor.cli.candidates import candidate_options
from auditor.cli.gating import gate_exit, gate_flags_given, gate_options, gate_section
from auditor.cli.options import (
    F,
    bbq_option,
    emit,
    open_store,
    report_options,
    store_option,
    wants_flips,
)
from auditor.core.choices import ORDERS


def audit_options(func: F) -> F:
    for decorator in reversed(
        (
            click.option(
                "--model",
                default=None,
                metavar="M",
                help="Override the profile's model (folder, hub id, .gguf, smollm2-135m).",
            ),
            click.option(
                "--adapter",
                default=None,
                metavar="DIR",
                help="Start from this LoRA adapter on top of the model.",
            ),
            click.option("--device", default=None, help="Override the device (auto, cpu, cuda)."),
            click.option(
                "--seeds",
                default=None,
                metavar="S,S,...",
                help="DPO seed replicates, e.g. 0,1,2: one adapter and one aligned "
                "evaluation per seed, pooled against one baseline (default: the "
                "profile's align.seeds; one run).",
            ),
            click.option(
                "--orders",
                type=click.Choice(ORDERS),
                default=None,
                help="Option-order rotation (eval.orders): score every item in its 3 "
                "rotations (cyclic, 3x the evaluation time) or 6 permutations (all, 6x); "
                "tables use answers aggregated over them.",
            ),
            click.option(
                "--trajectory",
                is_flag=True,
                default=None,
                help="Spillover over training (align.trajectory): evaluate every checkpoint "
                "saved before the last step (align.save_steps; needs align.max_steps) and "
                "report Δ per cell against step, with the step each cell first degraded.",
            ),
            click.option(
                "--set",
                "overrides",
                multiple=True,
                metavar="SECTION.KEY=VALUE",
                help="Override any profile field, e.g. --set align.max_steps=20.",
            ),
            bbq_option,
            store_option,
            click.option(
                "--retrain-missing",
                is_flag=True,
                help="Train again when a finished training run's adapter is missing "
                "(a store moved without its audits/ folder).",
            ),
            click.option(
                "--restore-adapter",
                "restore_from",
                default=None,
                metavar="DIR",
                help="Copy that missing adapter back from DIR (where it was moved).",
            ),
            click.option(
                "--gate",
                "gate",
                is_flag=True,
                help="Gate the result: exit 1 when spillover is found, 4 when a "
                "non-inferiority gate is inconclusive (implied by any "
                "gate threshold flag).",
            ),
            gate_options,
            report_options,
        )
    ):
        func = decorator(func)
    return func


@click.command("audit")
@click.option(
    "--profile",
    "profile_name",
    default="demo",
    show_default=True,
    help="A bundled profile name or a .toml file (see `spillover profiles`).",
)
@click.option(
    "--matrix",
    is_flag=True,
    help="Run the grid [align] methods × targets and print the spillover matrix "
    "(as `spillover matrix`).",
)
@audit_options
@candidate_options
def audit_cmd(profile_name: str, **options: Any) -> None:
    """Baseline eval → DPO on the target → aligned eval → paired comparison → report.

    With --candidate or --candidate-adapter: no training; the base and every candidate are
    evaluated on the same items and each candidate is compared with the base (gated in
    non-inferiority mode unless the profile or --gate-mode says otherwise).

    Every stage is stored; rerunning after an interruption continues where it stopped.
    """
    run(profile_name, **options)


@click.command("demo")
@audit_options
def demo_cmd(**options: Any) -> None:
    """The demo audit: SmolLM2-135M on CPU, a BBQ sample, a short gender DPO (~3 min).

    Without BBQ data (--bbq, $SPILLOVER_BBQ or a fetched copy) it fetches the official
    files first.
    """
    from auditor.bbq.locate import resolve_bbq_dir
    from auditor.core.errors import InputError

    try:
        resolve_bbq_dir(options["bbq"])
    except InputError:
        if options["bbq"]:
            raise
        fetch_official()
    run("demo", **options)


def fetch_official() -> None:
    """Download the official BBQ files into the default data folder, or fail in one line."""
    from auditor.bbq.fetch import FAILED, fetch
    from auditor.bbq.locate import fetched_dir
    from auditor.core.errors import InputError

    click.echo(f"no BBQ data found: fetching the official files into {fetched_dir()}", err=True)
    results = fetch(fetched_dir())
    failed = [r for r in results if r.status == FAILED and r.path.startswith("data/")]
    if failed:
        raise InputError(
            f"could not fetch {failed[0].path} ({failed[0].detail}); fetch it with "
            "`spillover data fetch`, or pass --bbq DIR"
        )


def run(
    profile_name: str,
    *,
    model: str | None,
    adapter: str | None,
    device: str | None,
    seeds: str | None,
    overrides: tuple[str, ...],
    bbq: str | None,
    store_path: str | None,
    gate: bool,
    fmt: str,
    outputs: tuple[str, ...],
    appends: tuple[str, ...] = (),
    retrain_missing: bool = False,
    restore_from: str | None = None,
    orders: str | None = None,
    matrix: bool = False,
    trajectory: bool | None = None,
    candidates: tuple[str, ...] = (),
    candidate_adapters: tuple[str, ...] = (),
    targets: tuple[str, ...] = (),
    **thresholds: Any,
) -> None:
    from auditor.audit.pipeline import run_audit
    from auditor.audit.plan import audit_plan
    from auditor.audit.preflight import preflight
    from auditor.audit.profiles import load_profile
    from auditor.audit.report import audit_report, audit_subject
    from auditor.cli import candidates as cand
    from auditor.cli.interrupt import run_cancellable
    from auditor.cli.overrides import flag_overrides
    from auditor.models.distributed import world
    from auditor.models.quiet import quiet_hf

    extra = flag_overrides(model=model, adapter=adapter, device=device, seeds=seeds, orders=orders)
    extra += ["align.trajectory=true"] if trajectory else []
    extra += cand.candidate_overrides(candidates, candidate_adapters, targets)
    profile = load_profile(profile_name, [*overrides, *extra])
    named = thresholds.get("mode") or cand.names_gate_mode(
        cand.profile_path(profile_name), overrides
    )
    profile = cand.with_candidate_gate(profile, bool(named))
    section = gate_section(profile.gate, **thresholds)  # checked before any work
    cand.refuse_flags(
        profile,
        matrix=matrix,
        retrain_missing=retrain_missing,
        restore_from=restore_from,
        targets=targets,
    )
    if cand.is_candidate_audit(profile):
        gated = gate or gate_flags_given(**thresholds)
        cand.run_candidate_audit(
            profile,
            section=section,
            gated=gated,
            bbq=bbq,
            store_path=store_path,
            fmt=fmt,
            outputs=outputs,
        )
        return
    if matrix:
        from auditor.cli.matrix import run_matrix_report
        from auditor.core.errors import InputError

        if gate or gate_flags_given(**thresholds):
            raise InputError("audit --matrix does not gate: gate each recipe's audit alone")
        if appends:
            raise InputError("audit --matrix does not append Markdown: write --output FILE.md")
        run_matrix_report(profile, bbq=bbq, store_path=store_path, fmt=fmt, outputs=outputs)
        return
    audit_plan(profile)  # a combination the engine cannot run completely: refused here
    plan = preflight(profile, bbq)  # model and data, before the store is opened
    quiet_hf()  # imports transformers: after the checks, so a bad input fails at once
    if profile.align.targets:
        run_targets(
            profile,
            bbq=bbq,
            store_path=store_path,
            fmt=fmt,
            outputs=outputs,
            appends=appends,
            gated=gate or gate_flags_given(**thresholds),
        )
        return
    result = run_cancellable(
        run_audit,
        store_path,
        profile=profile,
        bbq=bbq,
        plan=plan,
        retrain_missing=retrain_missing,
        restore_adapter_from=restore_from,
    )
    if not world().is_main:
        return
    assert result is not None  # rank 0 holds the store, so run_audit returns the result
    gated = gate or gate_flags_given(**thresholds)
    with open_store(store_path) as store:
        report, verdict = audit_report(
            store,
            result,
            audit_subject(result, profile),
            section=section if gated else None,
            bbq=bbq or profile.data.bbq or None,
            flips=wants_flips(outputs),
        )
    emit(report, fmt, outputs, appends)
    if gated:
        gate_exit(verdict)


def run_targets(
    profile: Profile,
    *,
    bbq: str | None,
    store_path: str | None,
    fmt: str,
    outputs: tuple[str, ...],
    gated: bool,
    appends: tuple[str, ...] = (),
) -> None:
    """One audit per ``[align] targets`` attribute on a shared baseline; each target's
    report in turn (JSON: one object keyed by target), and all their Markdown appended
    to each --append-markdown file in one append."""
    import json
    import threading

    from auditor.audit.grids import run_recipes
    from auditor.audit.report import audit_report, audit_subject
    from auditor.cli.interrupt import first_interrupt_cancels
    from auditor.cli.options import append_markdown
    from auditor.cli.progress import ProgressReporter
    from auditor.core.errors import InputError
    from auditor.core.events import Cancelled
    from auditor.reports import render_report

    if outputs or gated or fmt not in ("table", "markdown", "json"):
        raise InputError(
            "with align.targets, audit prints table, markdown or json only "
            "(no --output, --gate, junit or csv): run each target alone for those"
        )
    cancel = threading.Event()
    with open_store(store_path) as store, ProgressReporter() as reporter:
        try:
            with first_interrupt_cancels(cancel):
                done = run_recipes(profile, store=store, bbq=bbq, reporter=reporter, cancel=cancel)
            results = {target[0]: r for (_, target), r in done.items() if r is not None}
            if len(results) < len(done):  # a launcher's other ranks: rank 0 reports
                raise RuntimeError("the targets' results are rank 0's alone")
        except Cancelled as exc:
            reporter.close()
            click.echo(f"cancelled: {exc}; stored work is kept, rerun to resume", err=True)
            raise SystemExit(130) from None
        reports = {
            t: audit_report(store, r, audit_subject(r, profile, target=t))[0]
            for t, r in results.items()
        }
    if fmt == "json":
        docs = {t: json.loads(render_report(rep, "json")) for t, rep in reports.items()}
        click.echo(json.dumps({"targets": docs}, indent=2))
    else:
        for rep in reports.values():
            emit(rep, fmt, (), ())  # appended below, all targets at once
    append_markdown(reports.values(), appends)
