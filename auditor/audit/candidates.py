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
from dataclasses import dataclass, replace
from pathlib import Path

from auditor.audit.candidate_settings import CandidateSection, is_candidate_audit, table_target
from auditor.core.errors import InputError

CAVEAT = (
    "spillover cannot know what data trained a candidate: its training items may overlap "
    "the evaluated items, which would flatter the candidate on them"
)
"""Said in every report of a candidate audit."""

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
}


@dataclass(frozen=True)
class Candidate:
    """One candidate: its label ("1", "2", ...; the stage and report name it), the model
    it loads (``source`` with an optional ``adapter``) and, for a checkpoint of a
    training run, the step it was saved at."""

    label: str
    source: str
    adapter: str = ""
    step: int | None = None

    @property
    def shown(self) -> str:
        return f"{self.source} + adapter {self.adapter}" if self.adapter else self.source

    def spec(self, model):
        """The ModelSpec of this candidate, loaded as the base ``model`` section says."""
        from auditor.models.loading import ModelSpec

        return ModelSpec(
            self.source,
            self.adapter or None,
            model.device,
            model.dtype,
            model.trust_remote_code,
            model.allow_pickle,
        )

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "model": self.source,
            "adapter": self.adapter,
            "step": self.step,
        }

    def key(self) -> dict:
        """What decides its answers (its label does not)."""
        return {"model": _where(self.source), "adapter": _where(self.adapter)}


def candidates_of(profile) -> tuple[Candidate, ...]:
    """The profile's candidates, labelled 1, 2, ... (models, then adapters on the base)."""
    c, base = profile.candidate, profile.model.source
    found = [(m, "") for m in c.models] + [(base, a) for a in c.adapters]
    return tuple(Candidate(str(n), s, a) for n, (s, a) in enumerate(found, 1))


def refuse_candidates(profile) -> None:
    """InputError in one line for a candidate audit the engine cannot run completely."""
    a = profile.align
    given = {"seeds": len(a.seeds) > 1, "targets": bool(a.targets), "methods": bool(a.methods)}
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


def check_candidates(profile) -> None:
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


def with_candidate_gate(profile, mode_named: bool):
    """A candidate audit gates in non-inferiority mode unless its profile or flags named
    a mode (``mode_named``)."""
    if not is_candidate_audit(profile) or mode_named:
        return profile
    return replace(profile, gate=replace(profile.gate, mode="noninferiority"))


def names_gate_mode(path: Path | None, overrides=()) -> bool:
    """Whether the profile file at ``path`` or an ``--set`` names ``[gate] mode``."""
    if any(o.partition("=")[0].strip() == "gate.mode" for o in overrides):
        return True
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8")) if path else {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return False  # load_profile has already reported a bad file
    gate = raw.get("gate")
    return isinstance(gate, dict) and "mode" in gate


def _where(source: str) -> str:
    """A folder or file by its full path (so ./m and m are one candidate), else as given."""
    if not source:
        return ""
    path = Path(source).expanduser()
    return str(path.resolve()) if path.exists() else source
