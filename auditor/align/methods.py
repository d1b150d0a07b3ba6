"""Alignment methods: the trl trainer, loss and hyper-parameters behind each ``[align] method``.

This module only declares them (no ML import, so profiles can read it); ``trl_args``
builds their trl configs, ``trainers`` their datasets and trainers.

Every method trains a LoRA adapter on the same BBQ preference pairs:

- ``dpo``, ``ipo``, ``robust``, ``hinge``: trl's ``DPOTrainer`` with that ``loss_type``
  (``dpo`` is the sigmoid loss); the reference is the model with the adapter disabled.
- ``kto``: trl's ``KTOTrainer``; each pair gives a desirable row (the chosen answer) and an
  undesirable row (the rejected one), as trl's ``unpair_preference_dataset`` does, shuffled
  with the run's seed so every batch mixes both (trl samples KTO data in order).
- ``orpo``: ``trl.experimental.orpo.ORPOTrainer``: no reference model.
- ``simpo``: ``trl.experimental.cpo.CPOTrainer`` with ``loss_type="simpo"``: no reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.core.errors import InputError


@dataclass(frozen=True)
class Method:
    """One alignment method: which trl trainer runs it and which settings it reads."""

    name: str
    trainer: str  # "dpo" | "kto" | "orpo" | "cpo"
    loss_type: str  # trl's loss_type ("" where the trainer has one loss)
    params: tuple[str, ...]  # method-specific settings it reads (and its run key holds)
    reference: bool  # whether the loss compares against the frozen model
    rows_per_pair: int = 1  # training rows one preference pair becomes
    about: str = ""


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("dpo", "dpo", "sigmoid", ("beta",), True, about="DPO, sigmoid loss"),
    Method("ipo", "dpo", "ipo", ("beta",), True, about="IPO: squared loss, beta is tau"),
    Method("robust", "dpo", "robust", ("beta", "label_smoothing"), True,
           about="robust DPO: label_smoothing = share of flipped preferences"),
    Method("hinge", "dpo", "hinge", ("beta",), True, about="SLiC hinge loss"),
    Method("kto", "kto", "kto", ("beta", "kto_desirable_weight", "kto_undesirable_weight"),
           True, rows_per_pair=2, about="KTO: chosen desirable, rejected undesirable"),
    Method("orpo", "orpo", "", ("orpo_lambda",), False,
           about="ORPO: NLL of chosen + lambda * odds-ratio term, no reference"),
    Method("simpo", "cpo", "simpo", ("simpo_beta", "simpo_gamma", "cpo_alpha"), False,
           about="SimPO: length-normalised margin loss, no reference"),
)}  # fmt: skip

METHOD_PARAMS: frozenset[str] = frozenset(p for m in METHODS.values() for p in m.params)
"""Settings read by some methods only: a run key holds those of its own method."""


def get(name: str) -> Method:
    try:
        return METHODS[name]
    except KeyError:
        raise InputError(f"align settings: method must be one of {', '.join(METHODS)}, "
                         f"got {name!r}") from None


def unused(name: str) -> frozenset[str]:
    """Settings a run of method ``name`` ignores (``method`` itself for dpo, whose run keys
    predate the setting)."""
    drop = METHOD_PARAMS - set(get(name).params)
    return drop | {"method"} if name == "dpo" else drop
