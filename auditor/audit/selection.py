"""What an audit evaluates and trains on, and the key that identifies it: BBQ loaded, the
target split, the evaluated items, all decided before any model runs."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.align.split import TargetSplit
from auditor.audit.profiles import EVAL_SPEED_ONLY, Profile
from auditor.core.items import Item

if TYPE_CHECKING:
    from auditor.audit.candidate_settings import Candidate

REPORT_ONLY = ("gate", "name", "description")  # profile parts that do not change results

NEW_DEFAULTS: dict[str, dict[str, Any]] = {
    "eval": {"orders": "none", "transfer": ()},
    "stats": {"accuracy_test": "mcnemar"},
    "align": {"trajectory": False},
}
"""Fields added after audits were first stored: left out of the key at their default, so
an audit stored before them keeps its id."""


@dataclass(frozen=True)
class Selection:
    """What the audit evaluates and trains on, decided before any model runs."""

    items: dict[str, Item]
    eval_items: tuple[Item, ...]
    split: TargetSplit  # the target's training and held-out items, handed to alignment
    checksum: str
    source: str

    @property
    def heldout_ids(self) -> frozenset[str]:
        return self.split.heldout_ids


def audit_key(profile: Profile, checksum: str, candidate: Candidate | None = None) -> str:
    """Everything that decides an audit's results: the profile (less its gate and the
    settings its alignment method ignores) and data. A candidate audit has one key per
    ``candidate`` (``candidates.Candidate``): its model and target, no alignment."""
    from auditor.align.methods import unused

    body = {k: v for k, v in profile.to_dict().items() if k not in REPORT_ONLY}
    del body["candidate"]  # audits without candidates keep their ids
    if candidate is not None:
        del body["align"]
        body["candidate"] = {**candidate.key(), "target": list(profile.candidate.target)}
        return _key(body, checksum)
    a = profile.align
    skip = (
        unused(a.method)
        | ({"targets"} if not a.targets else set())
        | ({"seeds"} if not a.seeds else set())
        | ({"methods"} if not a.methods else set())
    )  # empty: single-run audits keep their ids
    body["align"] = {k: v for k, v in body["align"].items() if k not in skip}
    return _key(body, checksum)


def _key(body: dict[str, Any], checksum: str) -> str:
    for section, defaults in NEW_DEFAULTS.items():
        if section not in body:  # a candidate audit's key has no alignment
            continue
        body[section] = {
            k: v for k, v in body[section].items() if k not in defaults or v != defaults[k]
        }
    body["eval"] = {k: v for k, v in body["eval"].items() if k not in EVAL_SPEED_ONLY}
    return json.dumps({"profile": body, "data": checksum}, sort_keys=True)


def plan_audit(profile: Profile, bbq: str | None = None) -> Selection:
    """Load BBQ, split the target (the split alignment then trains on), and choose the
    evaluation items.

    The target attributes are evaluated on their held-out template instances; with
    ``data.sample = 0`` every item is evaluated, the target's training items too (the
    report shows the target on held-out items and, labelled, on all of them).
    """
    from auditor.align.split import split_target
    from auditor.audit.candidates import is_candidate_audit
    from auditor.bbq import load_bbq, resolve_bbq_dir, sample

    source = resolve_bbq_dir(bbq or profile.data.bbq or None)
    if is_candidate_audit(profile):
        return candidate_selection(profile, source)
    a = profile.align
    wanted = tuple(dict.fromkeys(a.target + a.targets + profile.data.attributes))
    data = load_bbq(source, attributes=wanted)
    split = split_target(data.items, a)
    heldout = split.heldout_ids
    # with [align] targets, every target's training items stay out of the evaluation, so
    # the audits of all targets evaluate the same items (one shared baseline run)
    others = [
        split_target(data.items, replace(a, target=(t,))).heldout_ids
        for t in a.targets
        if t not in a.target
    ]
    kept_ids = heldout.union(*others)
    target = set(a.target) | set(a.targets)
    audited = set(profile.data.attributes) | target
    if profile.data.sample:
        pool = [
            i
            for i in data.items
            if i.attribute in audited and (i.attribute not in target or i.id in kept_ids)
        ]
        chosen = sample(pool, n=profile.data.sample, seed=profile.data.seed)
    else:
        chosen = tuple(i for i in data.items if i.attribute in audited)
    return Selection(data.by_id(), tuple(chosen), split, data.checksum, str(source))


def candidate_selection(profile: Profile, source: Path | str) -> Selection:
    """A candidate audit's items: every attribute of the profile and the named target,
    sampled alike (what trained a candidate is unknown: no item is held out)."""
    from auditor.bbq import load_bbq, sample

    target = profile.candidate.target
    data = load_bbq(source, attributes=tuple(dict.fromkeys(target + profile.data.attributes)))
    audited = set(profile.data.attributes) | set(target)
    pool = [i for i in data.items if i.attribute in audited]
    chosen = (
        sample(pool, n=profile.data.sample, seed=profile.data.seed) if profile.data.sample else pool
    )
    split = TargetSplit((), (), ())
    return Selection(data.by_id(), tuple(chosen), split, data.checksum, str(source))


def preflight(profile: Profile, bbq: str | None = None) -> Selection:
    """Check ``profile``'s model and adapter (its settings were checked when it was built)
    and its data, then select the audit's items. Raises InputError in one line; loads no
    weights."""
    from auditor.audit.candidates import check_candidates
    from auditor.models.loading import check_adapter_folder
    from auditor.models.sources import source_kind

    m = profile.model
    source_kind(m.source, allow_pickle=m.allow_pickle)
    if m.adapter:
        check_adapter_folder(Path(m.adapter).expanduser())
    check_candidates(profile)
    return plan_audit(profile, bbq)
