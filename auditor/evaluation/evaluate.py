"""Evaluate a model on BBQ items: score them in batches and store every answer.

``evaluate`` is resumable: the run id is derived from what determines the answers (the
weights, mode, prompt template, items, dtype), batches are planned from the full item
list, and batches already stored are skipped. A run killed at any point and rerun ends
with the same answers as an uninterrupted one.

Under a launcher (``torchrun``, ``accelerate launch``) the planned batches are dealt out
round-robin to the ranks; rank 0 alone holds the store: it tells the others which items
are stored, gathers their answers after every round and writes them. The batch plan is
the single-process one, so the stored answers are the same.

With ``orders`` ("cyclic": 3 rotations, "all": 6 permutations of the options) every item
is scored once per ordering; the unit of work and of resuming is (item, ordering). Each
ordering's answer is stored mapped back to the item's own option indices, and the item's
answer aggregated over its orderings (see ``orders.aggregate``) is stored as the run's
answer once all its orderings are in, in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence

from auditor.core.errors import InputError, first_line
from auditor.core.events import (
    Cancelled,
    ItemsScored,
    Message,
    Reporter,
    check_cancel,
    null_reporter,
)
from auditor.core.items import Item
from auditor.evaluation import scoring
from auditor.evaluation.orders import (
    COST,
    aggregate,
    check_orders,
    order_key,
    orderings,
    permuted,
    to_item_order,
)
from auditor.evaluation.scoring import score_batch
from auditor.evaluation.scoring.batching import plan_batches
from auditor.evaluation.scoring.branched import use_prefix_tree
from auditor.evaluation.scoring.prefix_tree import prefix_batches
from auditor.models import distributed
from auditor.models.loading import LoadedModel, ModelSpec, load_model
from auditor.store.db import Store, make_id, provenance
from auditor.store.records import ending_status


def evaluate(
    spec: ModelSpec,
    items: Sequence[Item],
    *,
    mode: str = "letter",
    store: Store | None,
    batch_size: int = 8,
    reporter: Reporter | None = None,
    cancel=None,
    prompt_style: str = "auto",
    max_new_tokens: int = 8,
    extra_settings: dict | None = None,
    loaded: LoadedModel | None = None,
    data_checksum: str | None = None,
    orders: str = "none",
    prefix_cache: str = "auto",
) -> str:
    """Score ``items`` with the model of ``spec`` (or the already ``loaded`` one) and
    return the run id. Emits ItemsScored after each stored batch; polls ``cancel``
    between batches and raises Cancelled (stored batches stay).

    ``extra_settings`` are recorded and are part of the run key: two calls that differ
    in them are two runs. ``data_checksum`` (e.g. BBQData.checksum) is recorded; the
    key always includes a checksum of the items themselves. Under a launcher only rank 0
    passes a ``store`` (the others pass None) and only rank 0 reports.

    ``orders`` ("none", "cyclic", "all") scores every item in that many option orders
    (x1, x3, x6 the work); it is part of the run key unless "none".

    ``prefix_cache`` ("auto", "on", "off") plans batches by shared prompt prefix and runs
    each batch as a prefix tree (see ``branched.use_prefix_tree``). It changes the cost,
    not the answers (fp32: the same predictions, scores equal to rounding, ~1e-5), so it
    is not part of the run key; it is recorded in the run's settings.
    """
    scorer = scoring.get(mode)  # an unknown mode is an input error
    check_orders(orders, mode)
    if not items:
        raise InputError("no items to evaluate")
    ordered = sorted(items, key=lambda it: it.id)
    if len({it.id for it in ordered}) != len(ordered):
        raise InputError("items: duplicate item ids; each item may be evaluated once")
    here = distributed.world()
    if here.is_main and store is None:
        raise InputError("evaluate: no store to write to")
    report = (reporter or null_reporter) if here.is_main else null_reporter
    loaded = loaded or load_model(spec, reporter=report)
    builder = scorer.builder(loaded.tokenizer, prompt_style)
    units = [(item, perm) for item in ordered for perm in orderings(orders)]
    prompt_ids = [builder.prompt_ids(permuted(item, perm)) for item, perm in units]
    shared = use_prefix_tree(prefix_cache, loaded.model, mode)  # alike on every rank
    plan = (
        prefix_batches(prompt_ids, batch_size)
        if shared
        else plan_batches([len(p) for p in prompt_ids], batch_size)
    )
    if len(plan) < here.size:  # every rank finds this alike, before any talking
        raise distributed.shown_by_rank_zero(
            InputError(
                f"eval: {here.size} ranks for {len(plan)} batch(es) of {len(ordered)} items; "
                f"launch at most {len(plan)} rank(s), or lower the batch size to "
                f"{max(1, len(ordered) // here.size)} (--batch-size, eval.batch_size)"
            )
        )
    here = distributed.start(loaded.device)
    checksum = items_checksum(ordered)
    key_parts = {
        "weights": weights_digest(loaded.model),
        "mode": mode,
        "template": builder.template,
        "items": checksum,
        "dtype": loaded.dtype,
        "device": loaded.device.split(":")[0],
        "max_new_tokens": max_new_tokens if scorer.generates else None,
        "batch_size": batch_size,  # padding differs by batch: a resume must batch the same
        "extra": extra_settings or {},
    }
    if orders != "none":  # a run in the item's own order keeps the key it always had
        key_parts["orders"] = orders
    settings = {
        "mode": mode,
        "prompt_style": builder.style,
        "batch_size": batch_size,
        "max_new_tokens": max_new_tokens,
        "model": loaded.info,
        "items": len(ordered),
        "items_checksum": checksum,
        "extra": extra_settings or {},
        "orders": orders,
        "prefix_cache": "on" if shared else "off",  # speed only: not in the key
    }
    if not here.is_main:
        run_id = make_id("eval", json.dumps(key_parts, sort_keys=True))
        _score_all(loaded, builder, units, run_id, None, mode, (prompt_ids, plan, shared),
                   max_new_tokens, report, cancel, here, orders)  # fmt: skip
        return run_id
    if store is None:  # rank 0 (checked above, before loading)
        raise InputError("evaluate: no store to write to")
    run_id = store.create_or_get_run(
        "eval",
        json.dumps(key_parts, sort_keys=True),
        model=spec.source,
        adapter=spec.adapter,
        settings=settings,
        data_checksum=data_checksum or checksum,
        mode=mode,
        template=builder.template,
        total=len(ordered),
        **provenance(),
    )
    store.update_run(run_id, status="running")
    started, scored = time.monotonic(), len(store.done_ids(run_id))
    try:
        _score_all(loaded, builder, units, run_id, store, mode, (prompt_ids, plan, shared),
                   max_new_tokens, report, cancel, here, orders)  # fmt: skip
    except BaseException as exc:
        status = ending_status(exc)
        store.update_run(
            run_id, status=status, record={"error": first_line(exc)} if status == "failed" else None
        )
        raise
    store.update_run(
        run_id, status="done", record=_timing(store, run_id, time.monotonic() - started, scored)
    )
    return run_id


def _timing(store, run_id: str, seconds: float, done_before: int) -> dict:
    """The run's scoring time so far (``spillover plan`` measures per-item cost from it):
    seconds spent scoring and the items scored in them, summed over its sessions."""
    timing = store.run(run_id).record.get("timing", {"seconds": 0.0, "items": 0})
    new = len(store.done_ids(run_id)) - done_before
    if new <= 0:
        return {}
    return {"timing": {"seconds": timing["seconds"] + seconds, "items": timing["items"] + new}}


def _score_all(loaded, builder, units, run_id, store, mode, planned, max_new_tokens,
               report, cancel, here, orders="none") -> None:  # fmt: skip
    prompt_ids, plan, shared = planned
    rotated = orders != "none"
    key = [(item.id, order_key(perm)) for item, perm in units]
    if here.is_main:
        stored = (
            store.done_orders(run_id)
            if rotated
            else {(i, order_key(orderings(orders)[0])) for i in store.done_ids(run_id)}
        )
    done_keys = distributed.broadcast(stored if here.is_main else None, here)
    batches = [b for b in plan if not all(key[i] in done_keys for i in b)]
    done, total = len(done_keys), len(units)
    what = f"item orderings (x{COST[orders]})" if rotated else "items"
    if done:
        report(Message(f"resuming run {run_id}: {done} of {total} {what} already stored"))
    report(ItemsScored(run_id, done, total, 0.0, None))
    model = loaded.model
    was_training = model.training
    model.eval()
    start, scored = time.monotonic(), 0
    try:
        for first in range(0, len(batches), here.size):  # one round: a batch for each rank
            stop = cancel is not None and cancel.is_set()
            if distributed.broadcast(stop, here):
                check_cancel(cancel) if here.is_main else _raise_cancelled()
            mine = first + here.rank
            batch = batches[mine] if mine < len(batches) else []
            chunk = [permuted(*units[i]) for i in batch]
            try:
                answers = score_batch(
                    mode, model, builder, chunk, [prompt_ids[i] for i in batch],
                    max_new_tokens=max_new_tokens, shared=shared,
                ) if chunk else []  # fmt: skip
            except (RuntimeError, MemoryError) as exc:
                if not out_of_memory(exc):
                    raise
                raise InputError(_oom_advice(len(chunk), len(plan[0]), loaded.device)) from None
            for share, scored_share in distributed.gather((batch, answers), here):
                if here.is_main and share:
                    done += _store(
                        store,
                        run_id,
                        [units[i] for i in share],
                        scored_share,
                        rotated,
                        COST[orders],
                    )
                scored += len(share)
            rate = scored / max(time.monotonic() - start, 1e-9)
            report(ItemsScored(run_id, done, total, rate, (total - done) / rate))
    finally:
        model.train(was_training)


def _store(store, run_id, units, answers, rotated: bool, per_item: int) -> int:
    """Store a batch's answers: as they are, or per ordering in the item's own indices
    (with the aggregated answers of the items now complete)."""
    items = [item for item, _ in units]
    if not rotated:
        return store.add_answers(run_id, items, answers)
    back = [to_item_order(a, perm) for (_, perm), a in zip(units, answers, strict=True)]
    return store.add_order_answers(
        run_id,
        items,
        [order_key(p) for _, p in units],
        back,
        per_item=per_item,
        aggregate=aggregate,
    )


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is a device running out of memory (CUDA, MPS, XPU or the host)."""
    import torch

    if isinstance(exc, (torch.cuda.OutOfMemoryError, MemoryError)):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def _oom_advice(n: int, batch_size: int, device: str) -> str:
    if batch_size > 1:
        return (
            f"out of memory scoring a batch of {n} items on {device}; try a batch size of "
            f"{batch_size // 2} (--batch-size {batch_size // 2}, or eval.batch_size in a "
            "profile); stored batches are kept"
        )
    return (
        f"out of memory scoring one item on {device}; a batch size of 1 does not fit: "
        "use a smaller --dtype (bfloat16) or a device with more memory"
    )


def _raise_cancelled():
    raise Cancelled("cancelled on rank 0")


def items_checksum(items: Sequence[Item]) -> str:
    """A hash of the items' ids and everything a model sees or is scored against."""
    h = hashlib.sha256()
    for item in sorted(items, key=lambda it: it.id):
        fields = [item.id, item.context, item.question, item.label, item.context_condition,
                  item.polarity, [[o.text, o.group] for o in item.options]]  # fmt: skip
        h.update(json.dumps(fields).encode())
    return h.hexdigest()[:16]


def weights_digest(model) -> str:
    """A hash of the loaded weights (names, shapes, dtypes and strided samples of values):
    cheap at any size, and different after training or merging an adapter."""
    h = hashlib.sha256()
    for name, param in model.named_parameters():
        flat = param.detach().reshape(-1)
        sample = flat[:: max(1, flat.numel() // 256)][:256].float().cpu()
        h.update(f"{name}|{tuple(param.shape)}|{param.dtype}".encode())
        h.update(sample.numpy().tobytes())
    return h.hexdigest()[:16]
