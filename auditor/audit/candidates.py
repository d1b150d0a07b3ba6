"""Candidate audits: checkpoints trained elsewhere (a model, or a LoRA adapter on the base),
each compared with the base model on the same items, with no training.

A candidate is a label and what to load (``Candidate``; optionally the training step it
was saved at). The ``[candidate]`` profile section (``candidate_settings``; or ``--candidate``,
``--candidate-adapter``, ``--target``) names them; ``plan.candidate_plan`` makes the plan,
the one runner executes it, and every candidate gets its own stored audit record on one
shared baseline evaluation.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.audit.candidate_settings import (
    CAVEAT,
    Candidate,
    CandidateSection,
    candidates_of,
    is_candidate_audit,
    table_target,
)
from auditor.core.errors import InputError

if TYPE_CHECKING:
    from auditor.audit.profiles import ModelSection, Profile
    from auditor.models.loading import ModelSpec

__all__ = [
    "CAVEAT",
    "Candidate",
    "CandidateSection",
    "candidates_of",
    "check_candidates",
    "is_candidate_audit",
    "table_target",
]

REFUSED = {
    "seeds": "align.seeds (seed replicates train adapters; a candidate is already trained)",
    "targets": "align.targets (a grid of trainings)",
    "methods": "align.methods (a grid of trainings)",
    "trajectory": "align.trajectory (the checkpoints of a training run; pass a run's "
    "checkpoints as --candidate-adapter, one each)",
}


def candidate_spec(candidate: Candidate, model: ModelSection) -> ModelSpec:
    """The ModelSpec of ``candidate``, loaded as the base ``model`` section says."""
    from auditor.models.loading import ModelSpec

    return ModelSpec(
        candidate.source,
        candidate.adapter or None,
        model.device,
        model.dtype,
        model.trust_remote_code,
        model.allow_pickle,
    )


def refuse_candidates(profile: Profile) -> None:
    """InputError in one line for a candidate audit the engine cannot run completely."""
    a = profile.align
    given = {
        "seeds": len(a.seeds) > 1,
        "targets": bool(a.targets),
        "methods": bool(a.methods),
        "trajectory": a.trajectory,
    }
    for name, on in given.items():
        if on:
            raise InputError(
                f"a candidate audit cannot run with {REFUSED[name]}: audit the candidates "
                "alone, or drop --candidate/[candidate]"
            )
    if profile.candidate.adapters and profile.model.adapter:
        raise InputError(
            "--candidate-adapter on a base that has an adapter (model.adapter) is not "
            "supported: merge the base adapter first, or pass the candidate as --candidate"
        )


def check_candidates(profile: Profile) -> None:
    """Each candidate exists and can load (checked like the base: file headers, no
    weights), none is given twice, none is the base; InputError in one line."""
    from auditor.models.loading import check_adapter_folder
    from auditor.models.sources import source_kind

    m = profile.model
    base = Candidate("", m.source, m.adapter).key()
    seen: dict[str, str] = {}
    for c in candidates_of(profile):
        flag = f"--candidate-adapter {c.adapter}" if c.adapter else f"--candidate {c.source}"
        if c.adapter:
            check_adapter_folder(Path(c.adapter).expanduser())
        else:
            source_kind(c.source, allow_pickle=m.allow_pickle)
        key = repr(sorted(c.key().items()))
        if c.key() == base:
            raise InputError(f"{flag}: the candidate is the base model itself; nothing to compare")
        if key in seen:
            raise InputError(f"{flag}: the same candidate is given twice ({seen[key]})")
        seen[key] = f"candidate {c.label}"


def with_candidate_gate(profile: Profile, mode_named: bool) -> Profile:
    """A candidate audit gates in non-inferiority mode unless its profile or flags named
    a mode (``mode_named``)."""
    if not is_candidate_audit(profile) or mode_named:
        return profile
    return replace(profile, gate=replace(profile.gate, mode="noninferiority"))


def names_gate_mode(path: Path | None, overrides: Iterable[str] = ()) -> bool:
    """Whether the profile file at ``path`` or an ``--set`` names ``[gate] mode``."""
    if any(o.partition("=")[0].strip() == "gate.mode" for o in overrides):
        return True
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8")) if path else {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return False  # load_profile has already reported a bad file
    gate = raw.get("gate")
    return isinstance(gate, dict) and "mode" in gate
