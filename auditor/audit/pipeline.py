"""The audit: baseline evaluation → DPO on the target → aligned evaluation → comparison.

Every stage is stored. The audit id is derived from the resolved profile and the data,
so rerunning the same audit after a kill continues where it stopped and never redoes a
finished stage (evaluation skips stored batches, training resumes from its checkpoint).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from auditor.audit.profiles import Profile
from auditor.core.errors import InputError
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
    heldout_ids: frozenset[str]
    checksum: str
    source: str


NEW_DEFAULTS = {"eval": {"orders": "none", "transfer": ()}}
"""Fields added after audits were first stored: left out of the key at their default, so
an audit stored before them keeps its id."""


def audit_key(profile: Profile, checksum: str) -> str:
    """Everything that decides an audit's results: the profile (less its gate) and data."""
    body = {k: v for k, v in profile.to_dict().items() if k not in REPORT_ONLY}
    for section, defaults in NEW_DEFAULTS.items():
        body[section] = {k: v for k, v in body[section].items()
                         if k not in defaults or v != defaults[k]}
    return json.dumps({"profile": body, "data": checksum}, sort_keys=True)


def plan_audit(profile: Profile, bbq: str | None = None) -> Plan:
    """Load BBQ, split the target like the trainer does, and choose the evaluation items.

    The target attributes are evaluated on their held-out template instances; with
    ``data.sample = 0`` every item is evaluated, the target's training items too (the
    report shows the target on held-out items and, labelled, on all of them).
    """
    from auditor.align.preferences import select_items
    from auditor.align.split import split_items
    from auditor.bbq import load_bbq, resolve_bbq_dir, sample

    source = resolve_bbq_dir(bbq or profile.data.bbq or None)
    wanted = tuple(dict.fromkeys(profile.align.target + profile.data.attributes))
    data = load_bbq(source, attributes=wanted)
    a = profile.align
    kept, _excluded = select_items(
        data.items, a.target, exclude_subcategories=a.exclude_subcategories,
        exclude_templates=a.exclude_templates, exclude_trans=a.exclude_trans,
    )
    heldout = frozenset(i.id for i in split_items(kept, heldout_fraction=a.heldout_fraction,
                                                  seed=a.seed).heldout)
    target = set(a.target)
    audited = set(profile.data.attributes) | target
    if profile.data.sample:
        pool = [i for i in data.items if i.attribute in audited
                and (i.attribute not in target or i.id in heldout)]
        chosen = sample(pool, n=profile.data.sample, seed=profile.data.seed)
    else:
        chosen = tuple(i for i in data.items if i.attribute in audited)
    return Plan(data.by_id(), tuple(chosen), heldout, data.checksum, str(source))


def run_audit(
    profile: Profile,
    *,
    store: Store,
    bbq: str | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    out_root: str | Path | None = None,
) -> AuditResult:
    """Run (or resume) the audit of ``profile``; raises Cancelled when cancelled."""
    from auditor.core.events import null_reporter

    report = reporter or null_reporter
    plan = plan_audit(profile, bbq)
    audit_id = store.create_or_get_audit(audit_key(profile, plan.checksum), profile.to_dict())
    store.update_audit(audit_id, status="running", record=outcome(bbq=str(plan.source)))
    folder = Path(out_root) if out_root else store.path.parent / "audits" / audit_id
    try:
        result = _stages(profile, plan, store, audit_id, folder, report, cancel)
    except BaseException as exc:
        store.update_audit(audit_id, status=ending_status(exc),
                           record=outcome(error=first_line(exc)))
        raise
    return result


def _stages(profile, plan, store, audit_id, folder, report, cancel) -> AuditResult:
    from auditor.models.loading import ModelSpec

    m, e = profile.model, profile.eval
    base = ModelSpec(m.source, m.adapter or None, m.device, m.dtype, m.trust_remote_code,
                     m.allow_pickle)
    eval_kwargs = dict(mode=e.mode, store=store, batch_size=e.batch_size, reporter=report,
                       cancel=cancel, prompt_style=e.prompt_style,
                       max_new_tokens=e.max_new_tokens, data_checksum=plan.checksum,
                       orders=e.orders)

    baseline = _evaluate_stage("baseline", base, plan, store, audit_id, eval_kwargs, report,
                               expect_adapter=base.adapter)
    check_cancel(cancel)
    for fmt in e.transfer:
        _transfer_stage("baseline", fmt, base, plan, store, audit_id, eval_kwargs, report)
        check_cancel(cancel)

    report(StageStarted("align", f"DPO on {', '.join(profile.align.target)}"))
    trained = _align(profile, base, plan, store, folder, report, cancel)
    store.update_audit(audit_id, train_run=trained.run_id,
                       record=outcome(adapter_dir=str(trained.adapter_dir)))
    report(StageFinished("align", skipped=trained.reused,
                         detail=str(trained.adapter_dir)))
    check_cancel(cancel)

    aligned_spec = ModelSpec(m.source, str(trained.adapter_dir), m.device, m.dtype,
                             m.trust_remote_code, m.allow_pickle)
    if m.adapter:  # the trained adapter sits on the merged base-plus-adapter model
        aligned_spec = ModelSpec(str(trained.merged_dir), None, m.device, m.dtype,
                                 m.trust_remote_code, m.allow_pickle)
    aligned = _evaluate_stage("aligned", aligned_spec, plan, store, audit_id, eval_kwargs, report,
                              expect_adapter=aligned_spec.adapter)
    for fmt in e.transfer:
        check_cancel(cancel)
        _transfer_stage("aligned", fmt, aligned_spec, plan, store, audit_id, eval_kwargs, report)

    report(StageStarted("compare", "paired statistics"))
    table, target_all = compare_for_audit(profile, plan, store, baseline, aligned, report, cancel)
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
        transfer, _ = compare_for_audit(profile, plan, store, runs["baseline"], runs["aligned"])
        record.update(outcome(format_transfer={"format": fmt, **runs,
                                               "table": transfer.to_dict()}))
    store.update_audit(audit_id, status="done", record=record)
    report(StageFinished("compare"))
    return AuditResult(audit_id, profile.to_dict(), baseline, trained.run_id, aligned, table,
                       str(trained.adapter_dir), target_all, plan.heldout_ids, rotation,
                       transfer, fmt, runs)


def _evaluate_stage(stage, spec, plan, store, audit_id, eval_kwargs, report,
                    expect_adapter=None) -> str:
    """Evaluate, or reuse the audit's finished run of this stage (for the aligned stage only
    if it evaluated the adapter just trained)."""
    from auditor.evaluation.evaluate import evaluate

    field = "baseline_run" if stage == "baseline" else "aligned_run"
    previous = getattr(store.audit(audit_id), field)
    stored = store.run(previous) if previous else None
    if stored and stored.status == "done" and stored.adapter == expect_adapter:
        report(StageStarted(stage, "stored"))
        report(StageFinished(stage, skipped=True, detail=previous))
        return previous
    what = "base model" if stage == "baseline" else "aligned model"
    report(StageStarted(stage, f"evaluating the {what} on {len(plan.eval_items)} items"))
    run_id = evaluate(spec, plan.eval_items, **eval_kwargs)
    store.update_audit(audit_id, **{field: run_id})
    report(StageFinished(stage, detail=run_id))
    return run_id


def _transfer_stage(stage, fmt, spec, plan, store, audit_id, eval_kwargs, report) -> str:
    """Evaluate the stage's model in an untrained format (``fmt``, e.g. cloze) on the same
    items, or reuse the audit's finished run of it; its id goes into the audit's record
    under ``transfer_runs[fmt][stage]``. Reported as the stage "<stage> (<fmt>)"."""
    from auditor.evaluation.evaluate import evaluate

    label = f"{stage} ({fmt})"
    runs = store.audit(audit_id).outcome.transfer_runs
    previous = runs.get(fmt, {}).get(stage)
    stored = store.run(previous) if previous else None
    if stored and stored.status == "done" and stored.adapter == spec.adapter:
        report(StageStarted(label, "stored"))
        report(StageFinished(label, skipped=True, detail=previous))
        return previous
    report(StageStarted(label, f"format transfer: the {stage} model in the {fmt} format on "
                               f"{len(plan.eval_items)} items"))
    run_id = evaluate(spec, plan.eval_items, **{**eval_kwargs, "mode": fmt, "orders": "none"})
    runs = store.audit(audit_id).outcome.transfer_runs
    runs = {**runs, fmt: {**runs.get(fmt, {}), stage: run_id}}
    store.update_audit(audit_id, record=outcome(transfer_runs=runs))
    report(StageFinished(label, detail=run_id))
    return run_id


def _align(profile, base, plan, store, folder, report, cancel):
    from auditor.align.train import align

    result = align(base, list(plan.items.values()), settings=profile.align,
                   prompt_style=profile.eval.prompt_style, out_dir=folder / "alignment", store=store,
                   reporter=report, cancel=cancel, merge=bool(profile.model.adapter))
    if set(result.heldout_ids) != set(plan.heldout_ids):
        raise InputError("held-out split of the trainer differs from the audit's plan; "
                         "the target attribute cannot be reported on held-out items")
    return result


def compare_for_audit(profile, plan, store, before, after, report=None, cancel=None):
    """The audit's spillover table (target on held-out items) and the target on all items."""
    s = profile.stats
    return heldout_tables(
        plan.items, store.answers(before), store.answers(after),
        target=profile.align.target,
        attributes=ordered_attributes(profile.align.target, profile.data.attributes),
        heldout_ids=plan.heldout_ids, correction=s.correction, alpha=s.alpha,
        n_boot=s.n_boot, seed=s.seed, reporter=report, cancel=cancel)


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


def heldout_tables(items, before, after, *, target, attributes, heldout_ids, reporter=None,
                   cancel=None, **stats):
    """The spillover table with the target attributes on their held-out items only, and,
    when the runs also answered other target items, a table of the target on all of them
    (None otherwise). ``stats``: correction, alpha, n_boot, seed."""
    from auditor.stats import compare_runs

    target, held = tuple(target), frozenset(heldout_ids)

    def on_heldout(answers):
        return [a for a in answers if items[a.item_id].attribute not in target or a.item_id in held]

    table = compare_runs(items, on_heldout(before), on_heldout(after), target=target,
                         attributes=attributes, reporter=reporter, cancel=cancel, **stats)
    only = [[a for a in run if items[a.item_id].attribute in target] for run in (before, after)]
    if all(a.item_id in held for a in only[0]):
        return table, None
    target_all = compare_runs(items, only[0], only[1], target=target, attributes=target, **stats)
    if reporter:
        reporter(Message(f"target also compared on all {len(only[0])} of its evaluated items"))
    return table, target_all


def ordered_attributes(target: Iterable[str], attributes: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*target, *attributes)))
