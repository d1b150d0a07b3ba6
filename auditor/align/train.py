"""Align a model on the target attribute(s): LoRA via peft, training via trl.

``align`` selects the target items, holds out whole template instances, builds
preference pairs with the shared prompt builder, trains a LoRA adapter with the trl
trainer of the settings' method (``auditor.align.methods``; DPO by default, reference =
the adapter disabled), reports ``TrainStep`` events, and
publishes the adapter (optionally a merged model) into ``out_dir``. The same run (same
key) resumes from its last checkpoint; a finished one is returned without training.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auditor.align.preferences import build_pairs
from auditor.align.run_folder import RunFolder
from auditor.align.settings import AlignSettings
from auditor.align.split import TargetSplit, sample_groups, split_target
from auditor.core.errors import InputError, first_line
from auditor.core.events import (
    CancelToken,
    Message,
    Reporter,
    check_cancel,
    null_reporter,
)
from auditor.core.items import Item
from auditor.models import distributed
from auditor.store.db import provenance
from auditor.store.records import ending_status


@dataclass(frozen=True)
class AlignResult:
    """What an alignment run produced; ``heldout_ids`` feed the target-attribute evaluation.

    ``reused`` is True when a finished run was returned without training.
    """

    run_id: str
    adapter_dir: Path
    merged_dir: Path | None
    heldout_ids: tuple[str, ...]
    train_ids: tuple[str, ...]
    metrics: dict = field(default_factory=dict)
    reused: bool = False


@dataclass(frozen=True)
class TrainingData:
    """The items and pairs one run trains on."""

    train: tuple[Item, ...]
    heldout: tuple[Item, ...]
    excluded: tuple[Item, ...]
    pairs: tuple


def prepare_data(split: TargetSplit, settings: AlignSettings, builder) -> TrainingData:
    """Sample the split's training items and build the preference pairs."""
    train = sample_groups(split.train, settings.train_sample, seed=settings.seed)
    pairs = build_pairs(train, builder, rejected=settings.rejected)
    if not pairs:
        raise InputError("no preference pairs: every training item was skipped")
    return TrainingData(tuple(train), split.heldout, split.excluded, tuple(pairs))


def run_key(spec, settings: AlignSettings, prompt_style: str, pairs) -> str:
    """A hash of everything that decides the trained weights: model, settings, pairs."""
    from auditor.models.sources import fingerprint

    h = hashlib.sha256()
    head = {
        "source": spec.source,
        "weights": fingerprint(spec.folder()),
        "adapter": fingerprint(Path(spec.adapter)) if spec.adapter else None,
        "target": sorted(settings.target),
        "settings": {**settings.key_dict(), "prompt_style": prompt_style},
    }
    h.update(json.dumps(head, sort_keys=True).encode())
    for p in pairs:
        h.update("\x1f".join((p.item_id, p.prompt, p.chosen, p.rejected)).encode() + b"\x1e")
    return h.hexdigest()


def planned_steps(n_pairs: int, settings: AlignSettings) -> int:
    """Optimizer steps the run will take (what ``state.max_steps`` will be)."""
    if settings.max_steps > 0:
        return settings.max_steps
    rows = n_pairs * settings.method_info.rows_per_pair
    batches = math.ceil(rows / settings.batch_size)
    per_epoch = max(1, math.ceil(batches / settings.grad_accum))
    return math.ceil(per_epoch * settings.epochs)


def align(
    spec,
    items: Sequence[Item],
    *,
    settings: AlignSettings | None = None,
    prompt_style: str = "auto",
    split: TargetSplit | None = None,
    out_dir: str | Path,
    store,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    merge: bool = False,
) -> AlignResult:
    """Train a LoRA adapter (the settings' method) for ``settings.target`` on ``items``
    (prompts in ``prompt_style``, the evaluation's); resume or reuse a same-key run.
    ``split``: the target's split as the audit planned it (computed here from ``items``
    when not given)."""
    from auditor.align.models import check_qlora
    from auditor.evaluation.prompts import PromptBuilder
    from auditor.models.loading import load_tokenizer, resolve_device

    settings = settings or AlignSettings()
    here = distributed.world()  # under a launcher rank 0 alone writes; the others get store=None
    report = (reporter or null_reporter) if here.is_main else null_reporter
    target = settings.target
    check_qlora(spec, settings)
    folder = RunFolder(out_dir)
    check_cancel(cancel)
    device = resolve_device(spec.device)
    builder = PromptBuilder(load_tokenizer(spec), prompt_style)
    data = prepare_data(split or split_target(items, settings), settings, builder)
    batch = distributed.training_batch(
        settings.batch_size, settings.grad_accum, len(data.pairs), here
    )  # every rank alike: no talking
    if here.parallel:
        distributed.start(device)
    key = run_key(spec, settings, prompt_style, data.pairs)

    def claim():
        folder.claim(key)
        run_id = store.create_or_get_run(
            "train",
            key,
            model=spec.source,
            adapter=spec.adapter,
            settings={**settings.to_dict(), "prompt_style": prompt_style},
            data_checksum=key[:16],
            template=builder.template,
            total=planned_steps(len(data.pairs), settings),
            record={**split_record(data, folder), "batch": batch},
            **provenance(),
        )
        done = folder.record()
        if done is None:  # the same run finished in another folder: its adapter, copied
            done = _adopt(store, run_id, folder, key)
        return run_id, done, done is not None and folder.adapter.is_dir()

    run_id, done, reused = distributed.lead(here, claim)
    if reused and done.get("copied_from"):
        report(Message(f"alignment already done in {done['copied_from']} (same run key); "
                       f"copied its adapter into {folder.root}"))  # fmt: skip
    elif reused:
        report(Message(f"alignment already done in {folder.root}; reusing its adapter"))
    else:
        done = _train(
            spec,
            data,
            settings,
            folder,
            key,
            run_id,
            store if here.is_main else None,
            report,
            cancel,
        )
        done.update(target=list(target), prompt_template=builder.template, batch=batch)

        def finish():
            store.update_run(run_id, "done", done)
            if settings.trajectory:  # each checkpoint's adapter, evaluated by the audit
                folder.keep_step_adapters()
            folder.write_record(done)
            folder.drop_checkpoints()

        distributed.lead(here, finish)
    if merge and not folder.merged.is_dir():
        from auditor.align.models import write_merged
        from auditor.align.session import quiet_progress

        report(Message("writing the merged model"))
        with quiet_progress():
            distributed.lead(here, lambda: write_merged(spec, folder))
    return _result(run_id, folder, done, merge, reused)


def _train(spec, data, settings, folder, key, run_id, store, report, cancel) -> dict:
    """Load, train and publish the adapter; the run's record (without target/template)."""
    from auditor.align.models import load_training_model
    from auditor.align.session import quiet_progress, train_adapter

    _mark(store, run_id, "running")
    try:
        with quiet_progress():
            loaded = load_training_model(spec, settings)
        metrics = train_adapter(
            loaded, data, settings, folder, store=store, run_id=run_id, report=report, cancel=cancel
        )
    except BaseException as exc:  # Ctrl-C, a launcher's SIGTERM: the checkpoints are kept
        status = ending_status(exc)
        lost = distributed.lost_rank(exc) if status == "failed" else None
        said = first_line(lost or exc) if status == "failed" or str(exc) else ""
        _mark(store, run_id, status, {"key": key, **({"error": said} if said else {})})
        if lost is not None:
            raise lost from exc
        raise
    return {
        "key": key,
        "run_id": run_id,
        "model": dict(loaded.info),
        "settings": settings.to_dict(),
        **split_record(data, folder),
        "metrics": metrics,
        "versions": provenance()["versions"],
    }


def _adopt(store, run_id: str, folder: RunFolder, key: str) -> dict | None:
    """A finished run of ``key`` whose folder (the store's record names it) still holds
    its adapter, copied into ``folder``; None where there is none."""
    run = store.run(run_id)
    adapter_dir = (run.record or {}).get("adapter_dir") if run and run.status == "done" else None
    if not adapter_dir:
        return None
    return folder.adopt(RunFolder(Path(adapter_dir).parent), key)


def _mark(store, run_id: str, status: str, record: dict | None = None) -> None:
    """Record the run's status (rank 0 under a launcher: the others hold no store)."""
    if store is not None:
        store.update_run(run_id, status, record)


def split_record(data: TrainingData, folder: RunFolder) -> dict:
    """What evaluation needs to know about the split, stored from the run's start."""
    return {
        "train_ids": [i.id for i in data.train],
        "heldout_ids": [i.id for i in data.heldout],
        "excluded_ids": [i.id for i in data.excluded],
        "n_pairs": len(data.pairs),
        "adapter_dir": str(folder.adapter),
    }


def _result(run_id: str, folder: RunFolder, record: dict, merge: bool, reused: bool) -> AlignResult:
    merged = folder.merged if merge and folder.merged.is_dir() else None
    return AlignResult(
        run_id=run_id,
        adapter_dir=folder.adapter,
        merged_dir=merged,
        heldout_ids=tuple(record["heldout_ids"]),
        train_ids=tuple(record["train_ids"]),
        metrics=dict(record.get("metrics", {})),
        reused=reused,
    )
