"""The audit: baseline evaluation → DPO on the target → aligned evaluation → comparison.

Every stage is stored. The audit id is derived from the resolved profile and the data,
so rerunning the same audit after a kill continues where it stopped and never redoes a
finished stage (evaluation skips stored batches, training resumes from its checkpoint).

With ``[align] seeds`` (two or more), the align and aligned stages run once per training
seed — each seed its own adapter on the same training split, its own evaluation — after
one baseline evaluation; every replicate is stored in the audit's record and reused on
a rerun, and the comparison pools them (``stats.replicates``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from auditor.align.split import TargetSplit
from auditor.audit.profiles import EVAL_SPEED_ONLY, Profile
from auditor.core.events import (
    CancelToken,
    Message,
    Reporter,
    StageFinished,
    StageStarted,
    check_cancel,
)
from auditor.core.items import Item
from auditor.store.db import Store
from auditor.store.records import ending_status, first_line, outcome

STAGES: tuple[str, ...] = ("baseline", "align", "aligned", "compare")
REPORT_ONLY = ("gate", "name", "description")  # profile parts that do not change results


@dataclass(frozen=True)
class AuditResult:
    """A finished audit: its runs, the adapter it trained and the spillover table."""

    audit_id: str
    profile: dict
    baseline_run: str
    train_run: str
    aligned_run: str
    table: object  # auditor.stats.SpilloverTable
    adapter_dir: str
    target_all: object | None = None  # table over all target items evaluated, if any
    heldout_ids: frozenset[str] = frozenset()  # the target's held-out items
    replicates: tuple[dict, ...] = ()  # per training seed: seed, train_run, aligned_run, adapter_dir
    rotation: dict | None = None  # position bias and order consistency (orders != none)
    transfer: object | None = None  # SpilloverTable of the same runs in an untrained format
    transfer_format: str = ""  # its name ("cloze")
    transfer_runs: dict | None = None  # {"baseline": run id, "aligned": run id}

    def items_of(self, attribute: str) -> frozenset[str] | None:
        """The items a cell of ``attribute`` was computed on (None: every answered item)."""
        return self.heldout_ids if self.heldout_ids and attribute in self.table.target else None


@dataclass(frozen=True)
class Plan:
    """What the audit evaluates and trains on, decided before any model runs."""

    items: dict[str, Item]
    eval_items: tuple[Item, ...]
    split: TargetSplit  # the target's training and held-out items, handed to alignment
    checksum: str
    source: str

    @property
    def heldout_ids(self) -> frozenset[str]:
        return self.split.heldout_ids


NEW_DEFAULTS = {"eval": {"orders": "none", "transfer": ()}, "stats": {"accuracy_test": "mcnemar"}}
"""Fields added after audits were first stored: left out of the key at their default, so
an audit stored before them keeps its id."""


def audit_key(profile: Profile, checksum: str) -> str:
    """Everything that decides an audit's results: the profile (less its gate and the
    settings its alignment method ignores) and data."""
    from auditor.align.methods import unused

    body = {k: v for k, v in profile.to_dict().items() if k not in REPORT_ONLY}
    a = profile.align
    skip = (unused(a.method) | ({"targets"} if not a.targets else set())
            | ({"seeds"} if not a.seeds else set())
            | ({"methods"} if not a.methods else set()))  # empty: single-run audits keep their ids
    body["align"] = {k: v for k, v in body["align"].items() if k not in skip}
    for section, defaults in NEW_DEFAULTS.items():
        body[section] = {k: v for k, v in body[section].items()
                         if k not in defaults or v != defaults[k]}
    body["eval"] = {k: v for k, v in body["eval"].items() if k not in EVAL_SPEED_ONLY}
    return json.dumps({"profile": body, "data": checksum}, sort_keys=True)


def replicate_seeds(profile: Profile) -> tuple[int, ...]:
    """The training seeds the audit trains one adapter each for; () for a single run."""
    return profile.align.seeds if len(profile.align.seeds) > 1 else ()


def plan_audit(profile: Profile, bbq: str | None = None) -> Plan:
    """Load BBQ, split the target (the split alignment then trains on), and choose the
    evaluation items.

    The target attributes are evaluated on their held-out template instances; with
    ``data.sample = 0`` every item is evaluated, the target's training items too (the
    report shows the target on held-out items and, labelled, on all of them).
    """
    from auditor.align.split import split_target
    from auditor.bbq import load_bbq, resolve_bbq_dir, sample

    source = resolve_bbq_dir(bbq or profile.data.bbq or None)
    a = profile.align
    wanted = tuple(dict.fromkeys(a.target + a.targets + profile.data.attributes))
    data = load_bbq(source, attributes=wanted)
    split = split_target(data.items, a)
    heldout = split.heldout_ids
    # with [align] targets, every target's training items stay out of the evaluation, so
    # the audits of all targets evaluate the same items (one shared baseline run)
    others = [split_target(data.items, replace(a, target=(t,))).heldout_ids
              for t in a.targets if t not in a.target]
    kept_ids = heldout.union(*others)
    target = set(a.target) | set(a.targets)
    audited = set(profile.data.attributes) | target
    if profile.data.sample:
        pool = [i for i in data.items if i.attribute in audited
                and (i.attribute not in target or i.id in kept_ids)]
        chosen = sample(pool, n=profile.data.sample, seed=profile.data.seed)
    else:
        chosen = tuple(i for i in data.items if i.attribute in audited)
    return Plan(data.by_id(), tuple(chosen), split, data.checksum, str(source))


def run_audit(
    profile: Profile,
    *,
    store: Store,
    bbq: str | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    out_root: str | Path | None = None,
    plan: Plan | None = None,
    retrain_missing: bool = False,
    restore_adapter_from: str | Path | None = None,
) -> AuditResult | None:
    """Run (or resume) the audit of ``profile``; raises Cancelled when cancelled.

    ``plan``: the one ``preflight`` returned (checked here otherwise, before anything is
    stored). A finished training run whose adapter is missing raises ``MissingAdapter``
    unless ``retrain_missing`` or ``restore_adapter_from`` (the adapter, moved) says what
    to do; the audit's stored status is left as it was.

    Under a launcher every rank calls this; rank 0 alone passes the ``store`` (the others
    pass None and get None back): evaluations are sharded, training is distributed, and
    the statistics are computed on rank 0.
    """
    from auditor.audit.preflight import missing_adapter, preflight, restore_adapter
    from auditor.core.events import null_reporter
    from auditor.models import distributed

    here = distributed.world()
    report = (reporter or null_reporter) if here.is_main else null_reporter
    if here.parallel:
        from auditor.models.loading import resolve_device

        distributed.start(resolve_device(profile.model.device))
    plan = plan or preflight(profile, bbq)  # settings, model and data, before any storing

    def begin():
        audit_id = store.create_or_get_audit(audit_key(profile, plan.checksum),
                                             profile.to_dict())
        folder = Path(out_root) if out_root else store.path.parent / "audits" / audit_id
        missing = missing_adapter(store, audit_id, folder)
        if missing is not None and restore_adapter_from is not None:
            where = restore_adapter(store, missing, restore_adapter_from)
            report(Message(f"restored the adapter of {missing.run_id} into {where}"))
        elif missing is not None and retrain_missing:
            report(Message(f"training {missing.run_id} again: its adapter was missing from "
                           f"{missing.expected}"))
        elif missing is not None:
            raise missing
        store.update_audit(audit_id, status="running", record=outcome(bbq=str(plan.source)))
        return audit_id, folder

    audit_id, folder = distributed.lead(here, begin)
    try:
        result = _stages(profile, plan, store, audit_id, folder, report, cancel)
    except BaseException as exc:
        if store is not None:
            store.update_audit(audit_id, status=ending_status(exc),
                               record=outcome(error=first_line(exc)))
        raise
    return result


def _stages(profile, plan, store, audit_id, folder, report, cancel) -> AuditResult | None:
    from auditor.models.loading import ModelSpec

    m, e = profile.model, profile.eval
    base = ModelSpec(m.source, m.adapter or None, m.device, m.dtype, m.trust_remote_code,
                     m.allow_pickle)
    eval_kwargs = dict(mode=e.mode, store=store, batch_size=e.batch_size, reporter=report,
                       cancel=cancel, prompt_style=e.prompt_style,
                       max_new_tokens=e.max_new_tokens, data_checksum=plan.checksum,
                       orders=e.orders, prefix_cache=e.prefix_cache)

    baseline = _evaluate_stage("baseline", base, plan, store, audit_id, eval_kwargs, report,
                               expect_adapter=base.adapter)
    check_cancel(cancel)
    if replicate_seeds(profile):
        return _replicated(profile, plan, store, audit_id, folder, report, cancel, base,
                           baseline, eval_kwargs)
    for fmt in e.transfer:
        _transfer_stage("baseline", fmt, base, plan, store, audit_id, eval_kwargs, report)
        check_cancel(cancel)

    report(StageStarted("align", f"{profile.align.method.upper()} on "
                                 f"{', '.join(profile.align.target)}"))
    trained = _align(profile, base, plan, store, folder, report, cancel)
    if store is not None:
        store.update_audit(audit_id, train_run=trained.run_id,
                           record=outcome(adapter_dir=str(trained.adapter_dir)))
    report(StageFinished("align", skipped=trained.reused,
                         detail=str(trained.adapter_dir)))
    check_cancel(cancel)

    aligned_spec = _aligned_spec(m, trained)
    aligned = _evaluate_stage("aligned", aligned_spec, plan, store, audit_id, eval_kwargs, report,
                              expect_adapter=aligned_spec.adapter)
    for fmt in e.transfer:
        check_cancel(cancel)
        _transfer_stage("aligned", fmt, aligned_spec, plan, store, audit_id, eval_kwargs, report)
    if store is None:  # another rank under a launcher: rank 0 compares and reports
        return None

    report(StageStarted("compare", "paired statistics"))
    table, target_all = _compare(profile, plan, store, baseline, aligned, report, cancel)
    record = outcome(table=table.to_dict(),
                     target_all=target_all.to_dict() if target_all else None,
                     heldout_ids=sorted(plan.heldout_ids), eval_items=len(plan.eval_items))
    rotation = rotation_for_audit(profile, plan, store, baseline, aligned)
    if rotation is not None:
        record.update(outcome(rotation=rotation))
    transfer, fmt, runs = None, "", None
    if e.transfer:  # the first untrained format gets the second table
        fmt = e.transfer[0]
        runs = store.audit(audit_id).outcome.transfer_runs[fmt]
        transfer, _ = _compare(profile, plan, store, runs["baseline"], runs["aligned"])
        record.update(outcome(format_transfer={"format": fmt, **runs,
                                               "table": transfer.to_dict()}))
    store.update_audit(audit_id, status="done", record=record)
    report(StageFinished("compare"))
    return AuditResult(audit_id, profile.to_dict(), baseline, trained.run_id, aligned, table,
                       str(trained.adapter_dir), target_all, plan.heldout_ids,
                       rotation=rotation, transfer=transfer, transfer_format=fmt,
                       transfer_runs=runs)


def _aligned_spec(m, trained):
    from auditor.models.loading import ModelSpec

    if m.adapter:  # the trained adapter sits on the merged base-plus-adapter model
        return ModelSpec(str(trained.merged_dir), None, m.device, m.dtype,
                         m.trust_remote_code, m.allow_pickle)
    return ModelSpec(m.source, str(trained.adapter_dir), m.device, m.dtype,
                     m.trust_remote_code, m.allow_pickle)


def _replicated(profile, plan, store, audit_id, folder, report, cancel, base, baseline,
                eval_kwargs) -> AuditResult | None:
    """One adapter and one aligned evaluation per training seed, then the pooled comparison.

    Finished replicates are found in the audit's record (``replicates``) and reused;
    training reuses or resumes its own run folder per seed."""
    from auditor.evaluation.evaluate import evaluate
    from auditor.models import distributed

    here, seeds = distributed.world(), replicate_seeds(profile)

    def stored_replicates():
        return {int(k): v for k, v in store.audit(audit_id).outcome.replicates.items()}

    def reusable(entry, trained, spec):
        stored = store.run(entry["aligned_run"]) if entry.get("aligned_run") else None
        return bool(stored and stored.status == "done"
                    and entry.get("train_run") == trained.run_id and stored.adapter == spec.adapter)

    done = distributed.lead(here, stored_replicates)
    for seed in seeds:
        report(StageStarted("align", f"{profile.align.method.upper()} on "
                                     f"{', '.join(profile.align.target)}, seed {seed} "
                                     f"({seeds.index(seed) + 1} of {len(seeds)})"))
        trained = _align(profile, base, plan, store, folder, report, cancel,
                         out_dir=folder / f"alignment-seed{seed}", train_seed=seed)
        report(StageFinished("align", skipped=trained.reused, detail=str(trained.adapter_dir)))
        check_cancel(cancel)
        spec = _aligned_spec(profile.model, trained)
        entry = done.get(seed, {})
        if distributed.lead(here, lambda e=entry, t=trained, s=spec: reusable(e, t, s)):
            report(StageStarted("aligned", f"seed {seed}: stored"))
            report(StageFinished("aligned", skipped=True, detail=entry["aligned_run"]))
        else:
            report(StageStarted("aligned", f"evaluating the aligned model of seed {seed} on "
                                           f"{len(plan.eval_items)} items"))
            entry = {"seed": seed, "train_run": trained.run_id,
                     "aligned_run": evaluate(spec, plan.eval_items, **eval_kwargs),
                     "adapter_dir": str(trained.adapter_dir)}
            report(StageFinished("aligned", detail=entry["aligned_run"]))
        done[seed] = entry
        first = done[seeds[0]]
        if store is not None:
            store.update_audit(audit_id, train_run=first["train_run"],
                               aligned_run=first["aligned_run"],
                               record=outcome(replicates={str(k): v for k, v in done.items()},
                                              adapter_dir=first["adapter_dir"]))
        check_cancel(cancel)
    if store is None:  # another rank under a launcher: rank 0 compares and reports
        return None

    report(StageStarted("compare", f"paired statistics pooled over {len(seeds)} seeds"))
    aligned = {seed: done[seed]["aligned_run"] for seed in seeds}
    table, target_all = _compare(profile, plan, store, baseline, aligned, report, cancel)
    replicates = tuple(done[seed] for seed in seeds)
    record = outcome(table=table.to_dict(),
                     target_all=target_all.to_dict() if target_all else None,
                     heldout_ids=sorted(plan.heldout_ids), eval_items=len(plan.eval_items))
    store.update_audit(audit_id, status="done", record=record)
    report(StageFinished("compare"))
    first = replicates[0]
    return AuditResult(audit_id, profile.to_dict(), baseline, first["train_run"],
                       first["aligned_run"], table, first["adapter_dir"], target_all,
                       plan.heldout_ids, replicates)


def _evaluate_stage(stage, spec, plan, store, audit_id, eval_kwargs, report,
                    expect_adapter=None) -> str:
    """Evaluate, or reuse the audit's finished run of this stage (for the aligned stage only
    if it evaluated the adapter just trained)."""
    field = "baseline_run" if stage == "baseline" else "aligned_run"
    what = "base model" if stage == "baseline" else "aligned model"
    return _stored_or_evaluated(
        stage, f"evaluating the {what} on {len(plan.eval_items)} items", spec, plan, store,
        eval_kwargs, report, expect_adapter,
        stored=lambda: getattr(store.audit(audit_id), field),
        remember=lambda run_id: store.update_audit(audit_id, **{field: run_id}))


def _transfer_stage(stage, fmt, spec, plan, store, audit_id, eval_kwargs, report) -> str:
    """Evaluate the stage's model in an untrained format (``fmt``, e.g. cloze) on the same
    items, or reuse the audit's finished run of it; its id goes into the audit's record
    under ``transfer_runs[fmt][stage]``. Reported as the stage "<stage> (<fmt>)"."""

    def remember(run_id):
        runs = store.audit(audit_id).outcome.transfer_runs
        runs = {**runs, fmt: {**runs.get(fmt, {}), stage: run_id}}
        store.update_audit(audit_id, record=outcome(transfer_runs=runs))

    return _stored_or_evaluated(
        f"{stage} ({fmt})", f"format transfer: the {stage} model in the {fmt} format on "
        f"{len(plan.eval_items)} items", spec, plan, store,
        {**eval_kwargs, "mode": fmt, "orders": "none"}, report, spec.adapter,
        stored=lambda: store.audit(audit_id).outcome.transfer_runs.get(fmt, {}).get(stage),
        remember=remember)


def _stored_or_evaluated(label, doing, spec, plan, store, eval_kwargs, report, adapter, *,
                         stored, remember) -> str:
    """The finished run ``stored()`` names when it evaluated ``adapter`` (rank 0 reads the
    store and tells the others), else a new evaluation that rank 0 ``remember``s."""
    from auditor.evaluation.evaluate import evaluate
    from auditor.models import distributed

    def reusable():
        previous = stored()
        run = store.run(previous) if previous else None
        return previous if run and run.status == "done" and run.adapter == adapter else None

    previous = distributed.lead(distributed.world(), reusable)
    if previous:
        report(StageStarted(label, "stored"))
        report(StageFinished(label, skipped=True, detail=previous))
        return previous
    report(StageStarted(label, doing))
    run_id = evaluate(spec, plan.eval_items, **eval_kwargs)
    if store is not None:
        remember(run_id)
    report(StageFinished(label, detail=run_id))
    return run_id


def _align(profile, base, plan, store, folder, report, cancel, out_dir=None, train_seed=None):
    from auditor.align.train import align

    settings = profile.align
    if train_seed is None and len(settings.seeds) == 1:  # one seed: a single run with it
        train_seed = settings.seeds[0]
    if train_seed is not None:
        settings = replace(settings, train_seed=train_seed)
    return align(base, list(plan.items.values()), settings=settings,
                 prompt_style=profile.eval.prompt_style, split=plan.split,
                 out_dir=out_dir or folder / "alignment", store=store, reporter=report,
                 cancel=cancel, merge=bool(profile.model.adapter))


def _compare(profile, plan, store, before, after, report=None, cancel=None):
    """The audit's spillover table (target on held-out items) and the target on all items;
    ``after`` is one run id, or {training seed: run id} for a pooled table of replicates."""
    from auditor.audit.comparison import compare, ordered_attributes

    s, target = profile.stats, profile.align.target
    answers = ({seed: store.answers(run) for seed, run in after.items()}
               if isinstance(after, dict) else store.answers(after))
    done = compare(plan.items, store.answers(before), answers, target=target,
                   attributes=ordered_attributes(target, profile.data.attributes),
                   heldout_ids=plan.heldout_ids, correction=s.correction, alpha=s.alpha,
                   n_boot=s.n_boot, seed=s.seed, accuracy_test=s.accuracy_test,
                   reporter=report, cancel=cancel)
    return done.table, done.target_all


def rotation_for_audit(profile, plan, store, before, after) -> dict | None:
    """Paired position bias and order consistency of the two runs on the table's items
    (the target on its held-out items), as a dict; None when the audit did not rotate."""
    from auditor.stats.position import compare_rotation

    if profile.eval.orders == "none":
        return None
    target, s = set(profile.align.target), profile.stats

    def on_table(run):
        return {i: v for i, v in store.order_answers(run).items()
                if plan.items[i].attribute not in target or i in plan.heldout_ids}

    return compare_rotation(plan.items, on_table(before), on_table(after),
                            orders=profile.eval.orders, alpha=s.alpha, n_boot=s.n_boot,
                            seed=s.seed).to_dict()
