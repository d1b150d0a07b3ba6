"""The ``[candidate]`` profile section and the candidates it names: the checkpoints a
candidate audit compares with the base, and the attributes their alignment targeted
(``candidates`` checks and loads them); the caveat every candidate report states."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from auditor.core.items import ATTRIBUTES
from auditor.core.settings import Checked, setting

CAVEAT = (
    "spillover cannot know what data trained a candidate: its training items may overlap "
    "the evaluated items, which would flatter the candidate on them"
)
"""Said in every report of a candidate audit (kept here, with no ML import, so that the
renderers in ``auditor.reports`` can name it)."""


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


class _Model(Protocol):
    @property
    def source(self) -> str: ...


class _Target(Protocol):
    @property
    def target(self) -> tuple[str, ...]: ...


class Audited(Protocol):
    """What these functions read of a ``profiles.Profile`` (which imports this module)."""

    @property
    def model(self) -> _Model: ...
    @property
    def align(self) -> _Target: ...
    @property
    def candidate(self) -> CandidateSection: ...


def is_candidate_audit(profile: Audited) -> bool:
    """Whether ``profile`` names candidates (then its audit trains nothing)."""
    c = profile.candidate
    return bool(c.models or c.adapters)


def table_target(profile: Audited) -> tuple[str, ...]:
    """The attributes marked as target in the audit's table: a candidate audit's named
    target, else the alignment's."""
    return profile.candidate.target if is_candidate_audit(profile) else profile.align.target


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "model": self.source,
            "adapter": self.adapter,
            "step": self.step,
        }

    def key(self) -> dict[str, str]:
        """What decides its answers (its label does not)."""
        return {"model": _where(self.source), "adapter": _where(self.adapter)}


def candidates_of(profile: Audited) -> tuple[Candidate, ...]:
    """The profile's candidates, labelled 1, 2, ... (models, then adapters on the base);
    a checkpoint folder of a training run (``checkpoint-N``, as transformers saves them,
    or spillover's ``step-N``) carries its step N."""
    c, base = profile.candidate, profile.model.source
    found = [(m, "") for m in c.models] + [(base, a) for a in c.adapters]
    return tuple(
        Candidate(str(n), s, a, checkpoint_step(a or s)) for n, (s, a) in enumerate(found, 1)
    )


def checkpoint_step(source: str) -> int | None:
    """N for a folder named ``checkpoint-N`` or ``step-N``, else None."""
    import re

    found = re.fullmatch(r"(?:checkpoint|step)-(\d+)", Path(source.rstrip("/\\")).name)
    return int(found.group(1)) if found else None


def _where(source: str) -> str:
    """A folder or file by its full path (so ./m and m are one candidate), else as given."""
    if not source:
        return ""
    path = Path(source).expanduser()
    return str(path.resolve()) if path.exists() else source
