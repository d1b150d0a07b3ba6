"""The ``[candidate]`` profile section: the checkpoints a candidate audit compares with the
base, and the attributes their alignment targeted (``candidates`` runs them)."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.core.items import ATTRIBUTES
from auditor.core.settings import Checked, setting


@dataclass(frozen=True)
class CandidateSection(Checked):
    owner = "candidate"

    models: tuple[str, ...] = setting(
        (),
        entry="model",
        help="Checkpoints audited against the base model (folder, hub id, .gguf, smollm2-135m).",
    )
    adapters: tuple[str, ...] = setting(
        (), entry="adapter", help="LoRA adapter folders on the base model, audited against it."
    )
    target: tuple[str, ...] = setting(
        (),
        choices=ATTRIBUTES,
        entry="attribute",
        help="Attributes the candidates' alignment targeted: marked, and left out of the "
        "untargeted cells (none: every attribute is untargeted).",
    )


def is_candidate_audit(profile) -> bool:
    """Whether ``profile`` names candidates (then its audit trains nothing)."""
    c = profile.candidate
    return bool(c.models or c.adapters)


def table_target(profile) -> tuple[str, ...]:
    """The attributes marked as target in the audit's table: a candidate audit's named
    target, else the alignment's."""
    return profile.candidate.target if is_candidate_audit(profile) else profile.align.target
