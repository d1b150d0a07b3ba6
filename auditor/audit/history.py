"""Stored audits and runs, read back: a stored audit's table as it was computed, the
audits listed, run ids resolved from prefixes and the BBQ items runs answered."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from auditor.audit.result import AuditResult, result_of
from auditor.core.errors import InputError
from auditor.core.items import Item
from auditor.store.db import Store

if TYPE_CHECKING:
    from auditor.audit.profiles import Profile


def load_audit(store: Store, audit_id: str) -> AuditResult:
    """A stored audit's result (id or unique prefix), read back without recomputing."""
    return result_of(store.audit(_resolve_audit_id(store, audit_id)))


def finished_audit(
    store: Store, profile: Profile, bbq: str | None = None, checksum: str | None = None
) -> AuditResult | None:
    """The stored result of ``profile``'s audit when it has finished (None otherwise),
    found by its audit id (a candidate audit: its last candidate's); reads the BBQ data
    for its checksum (unless given), loads no model and runs nothing."""
    found = finished_results(store, profile, bbq, checksum)
    return found[-1] if found else None


def finished_results(
    store: Store, profile: Profile, bbq: str | None = None, checksum: str | None = None
) -> tuple[AuditResult, ...] | None:
    """``finished_audit``'s results: the audit's, or one per candidate of a candidate
    audit in its order, once every one has finished (None otherwise)."""
    from auditor.audit.candidate_settings import candidates_of
    from auditor.audit.selection import audit_key, plan_audit
    from auditor.store.db import make_id

    checksum = checksum or plan_audit(profile, bbq).checksum
    keys = [audit_key(profile, checksum, c) for c in candidates_of(profile)]
    found = []
    for key in keys or [audit_key(profile, checksum)]:
        try:
            record = store.audit(make_id("audit", key))
        except InputError:  # never stored
            return None
        if record.status != "done" or not record.outcome.table:
            return None
        found.append(result_of(record))
    return tuple(found)


def candidate_results(store: Store, result: AuditResult) -> tuple[AuditResult, ...]:
    """The finished candidates of the candidate audit ``result`` is one of, in its
    profile's order and ``result`` itself among them: each found by its audit id (made
    from its profile and the data checksum its stored key holds), on the same baseline
    run. Just ``result`` when it is no candidate audit or its fellows cannot be told (a
    profile this version refuses, a key of another shape)."""
    from auditor.audit.candidate_settings import candidates_of
    from auditor.audit.profiles import build_profile
    from auditor.audit.selection import audit_key
    from auditor.store.db import make_id

    if not result.candidate:
        return (result,)
    try:
        profile = build_profile(result.profile, f"audit {result.audit_id}")
        checksum = json.loads(store.audit(result.audit_id).key)["data"]
    except (InputError, ValueError, KeyError, TypeError):
        return (result,)
    if not isinstance(checksum, str):
        return (result,)
    found: list[AuditResult] = []
    for candidate in candidates_of(profile):
        audit_id = make_id("audit", audit_key(profile, checksum, candidate))
        if audit_id == result.audit_id:
            found.append(result)
            continue
        try:
            record = store.audit(audit_id)
        except InputError:  # never stored
            continue
        if record.status == "done" and record.outcome.table:
            if record.baseline_run == result.baseline_run:
                found.append(result_of(record))
    return tuple(found) if any(r is result for r in found) else (result,)


def list_audits(store: Store) -> list[dict[str, Any]]:
    """Stored audits, newest first: id, profile name, model, status, whether a ``running``
    one still has a live process (None: not running, or it cannot be told), created, and
    the error of a failed or cancelled one ("" otherwise)."""
    return [
        {
            "id": a.id,
            "profile": a.profile.get("name", ""),
            "model": a.profile.get("model", {}).get("source", ""),
            "status": a.status or "",
            "live": a.live,
            "created": a.created,
            "error": a.outcome.error if a.status in ("failed", "cancelled", "interrupted") else "",
        }
        for a in store.audits()
    ]


def _resolve_audit_id(store: Store, prefix: str) -> str:
    return _unique(store, "audit", [a.id for a in store.audits()], prefix)


def rotation_stored(
    store: Store,
    run_a: str,
    run_b: str,
    *,
    bbq: str | None = None,
    alpha: float = 0.05,
    n_boot: int = 10_000,
    seed: int = 0,
) -> dict[str, Any] | None:
    """Paired position bias and order consistency of two stored runs scored in several
    option orders (as a dict); None unless both were, in the same orders."""
    from auditor.stats.position import compare_rotation

    before, after = resolve_run_id(store, run_a), resolve_run_id(store, run_b)
    orders = {(store.run(r).settings or {}).get("orders", "none") for r in (before, after)}
    if len(orders) != 1 or orders == {"none"}:
        return None
    by_order = store.order_answers(before), store.order_answers(after)
    if not all(by_order):
        return None
    items = stored_items(store, (before, after), bbq)
    return compare_rotation(
        items, *by_order, orders=orders.pop(), alpha=alpha, n_boot=n_boot, seed=seed
    ).to_dict()


def stored_items(store: Store, run_ids: Iterable[str], bbq: str | None = None) -> dict[str, Item]:
    """The BBQ items the stored runs answered, loaded from the BBQ data (--bbq etc.)."""
    from auditor.bbq import load_bbq, resolve_bbq_dir

    wanted = set()
    for run_id in run_ids:
        wanted |= store.done_ids(run_id)
    if not wanted:
        raise InputError("the runs hold no answers yet")
    attributes = sorted({i.split(":", 1)[0] for i in wanted})
    items = load_bbq(resolve_bbq_dir(bbq), attributes=attributes).by_id()
    missing = wanted - items.keys()
    if missing:
        raise InputError(
            f"{len(missing)} stored item ids (e.g. {sorted(missing)[0]}) are not "
            "in this BBQ data; pass the --bbq the runs were made with"
        )
    return items


def resolve_run_id(store: Store, prefix: str) -> str:
    """A stored run id from a unique prefix; a whole run id is found without listing the
    runs (so an id resolved once at the start of a command costs nothing later)."""
    if prefix.count("-") == 1 and len(prefix.split("-", 1)[1]) == 16:  # a whole id
        try:
            return store.run(prefix).id
        except InputError:
            pass
    return _unique(store, "run", [r.id for r in store.runs()], prefix)


def _unique(store: Store, what: str, ids: list[str], prefix: str) -> str:
    found = [i for i in ids if i.startswith(prefix)]
    if len(found) != 1:
        raise InputError(
            f"store {store.path}: {'no' if not found else 'more than one'} {what} "
            f"matching '{prefix}'; see `spillover runs`"
        )
    return found[0]
