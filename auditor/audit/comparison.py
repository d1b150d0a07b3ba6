"""The one comparison path: two runs' answers in, the spillover table out.

The audit, ``spillover compare``, ``gate``, ``plot``, ``--train-run`` and the app all come
here. When the held-out items of a training run are known, the target attributes are
judged on those only (their training items would flatter them), and a second table shows
the target on every item both runs answered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditor.audit.history import resolve_run_id, stored_items
from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.core.events import CancelToken, Message, Reporter
from auditor.core.items import Item
from auditor.store.db import Store

if TYPE_CHECKING:
    from auditor.stats.table import SpilloverTable

Answers = Sequence[Answer] | Mapping[int, Sequence[Answer]]  # one run, or one per seed


@dataclass(frozen=True)
class Comparison:
    """The spillover table and, when the target was judged on held-out items while more
    of its items were answered, the target on all of them."""

    table: SpilloverTable
    target_all: SpilloverTable | None = None


def ordered_attributes(target: Iterable[str], attributes: Iterable[str]) -> tuple[str, ...]:
    """The target first, then the other attributes, each once."""
    return tuple(dict.fromkeys((*target, *attributes)))


def compare(
    items: Mapping[str, Item],
    before: Sequence[Answer],
    after: Answers,
    *,
    target: Iterable[str],
    attributes: Iterable[str],
    heldout_ids: Iterable[str] | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    accuracy_test: str = "mcnemar",
    **stats: Any,
) -> Comparison:
    """Compare two runs' answers; ``after`` may map training seeds to their answers, and
    the tables then pool the replicates. ``stats``: correction, alpha, n_boot, seed;
    ``accuracy_test``: "mcnemar" or "cluster" (``stats.clustered``). Every table also
    compares the two accuracy tests and the bias-score conventions."""
    from auditor.stats import compare_runs
    from auditor.stats.alternatives import with_alternatives
    from auditor.stats.clustered import check_test
    from auditor.stats.replicates import compare_replicates

    check_test(accuracy_test)
    target, attributes = tuple(target), tuple(attributes)

    def method(
        items: Mapping[str, Item], before: Sequence[Answer], after: Answers, **kw: Any
    ) -> SpilloverTable:
        table = (
            compare_replicates(items, before, after, **kw)
            if isinstance(after, Mapping)
            else compare_runs(items, before, after, **kw)
        )
        return with_alternatives(table, items, before, after, accuracy_test)

    def each(keep: Callable[[Sequence[Answer]], list[Answer]]) -> Answers:
        if isinstance(after, Mapping):
            return {seed: keep(answers) for seed, answers in after.items()}
        return keep(after)

    if heldout_ids is None:
        return Comparison(
            method(
                items,
                before,
                after,
                target=target,
                attributes=attributes,
                reporter=reporter,
                cancel=cancel,
                **stats,
            )
        )
    held = frozenset(heldout_ids)

    def on_heldout(answers: Sequence[Answer]) -> list[Answer]:
        return [a for a in answers if items[a.item_id].attribute not in target or a.item_id in held]

    def of_target(answers: Sequence[Answer]) -> list[Answer]:
        return [a for a in answers if items[a.item_id].attribute in target]

    table = method(
        items,
        on_heldout(before),
        each(on_heldout),
        target=target,
        attributes=attributes,
        reporter=reporter,
        cancel=cancel,
        **stats,
    )
    only = of_target(before)
    if all(a.item_id in held for a in only):
        return Comparison(table)
    target_all = method(items, only, each(of_target), target=target, attributes=target, **stats)
    if reporter:
        reporter(Message(f"target also compared on all {len(only)} of its evaluated items"))
    return Comparison(table, target_all)


def compare_stored(
    store: Store,
    run_a: str,
    run_b: str,
    *,
    bbq: str | None = None,
    target: Iterable[str] = ("Gender_identity",),
    train_run: str | None = None,
    heldout_ids: Iterable[str] | None = None,
    reporter: Reporter | None = None,
    **stats: Any,
) -> Comparison:
    """Compare two stored runs (ids or unique prefixes). The target is judged on held-out
    items when ``heldout_ids`` or a stored ``train_run`` names them."""
    before, after = resolve_run_id(store, run_a), resolve_run_id(store, run_b)
    if train_run is not None:
        heldout_ids = heldout_of(store, train_run)
    items = stored_items(store, (before, after), bbq)
    present = {items[i].attribute for i in store.done_ids(before) | store.done_ids(after)}
    target = tuple(target)
    return compare(
        items,
        store.answers(before),
        store.answers(after),
        target=target,
        attributes=ordered_attributes(target, sorted(present)),
        heldout_ids=heldout_ids,
        reporter=reporter,
        **stats,
    )


def heldout_of(store: Store, train_run: str) -> frozenset[str]:
    """The held-out item ids a stored training run recorded."""
    run = store.run(resolve_run_id(store, train_run))
    ids = run.record.get("heldout_ids")
    if run.kind != "train" or ids is None:
        raise InputError(f"run {run.id} is not a training run with held-out ids")
    return frozenset(ids)
