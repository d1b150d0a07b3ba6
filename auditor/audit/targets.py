"""Several targets: one alignment per ``[align] targets`` attribute, one shared baseline.

Each target's audit trains on that attribute alone, holds out its own template instances
and compares against the same baseline evaluation: with ``targets`` set, ``plan_audit``
keeps every target's training items out of the evaluated items, so the audits of all
targets evaluate the same items and the baseline run is stored once and reused.
"""

from __future__ import annotations

import dataclasses

from auditor.audit.pipeline import AuditResult, run_audit
from auditor.audit.profiles import Profile
from auditor.core.errors import InputError


def target_profiles(profile: Profile) -> dict[str, Profile]:
    """The profile of each target's audit: ``target`` set to that one attribute."""
    targets = profile.align.targets
    if not targets:
        raise InputError("align.targets is empty: name the attributes to align on one by one")
    return {t: dataclasses.replace(profile, align=dataclasses.replace(profile.align, target=(t,)))
            for t in targets}  # fmt: skip


def run_target_audits(profile: Profile, *, store, bbq: str | None = None, reporter=None,
                      cancel=None) -> dict[str, AuditResult]:
    """Run (or resume) the audit of every target of ``profile``, in order; each is an
    ordinary stored audit, so a rerun reuses every finished stage."""
    profiles = target_profiles(profile)  # each checked on construction, before any work
    return {t: run_audit(sub, store=store, bbq=bbq, reporter=reporter, cancel=cancel)
            for t, sub in profiles.items()}  # fmt: skip
