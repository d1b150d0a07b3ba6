"""Alignment methods: the trl trainer, loss and hyper-parameters behind each ``[align] method``.

This module only declares them (no ML import, so profiles can read it). Each names its trl
trainer, an entry of the registry ``auditor.align.trainers.TRAINERS`` (its training rows,
trl config and trainer class). A new method is one entry here, and a new trainer one entry
there with its config function in ``trl_args``.

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
    trainer: str  # its entry in ``auditor.align.trainers.TRAINERS``
    loss_type: str  # trl's loss_type ("" where the trainer has one loss)
    params: tuple[str, ...]  # method-specific settings it reads (and its run key holds)
    reference: bool  # whether the loss compares against the frozen model
    rows_per_pair: int = 1  # training rows one preference pair becomes
    about: str = ""
    min_batch: int = 1  # the smallest batch_size it trains with
    min_batch_why: str = ""  # why, for the settings error
    speed_switches: bool = False  # precompute_ref, completion_logits_only, shared_prompt apply
    keyed: bool = True  # whether its run keys hold ``method`` (dpo's predate the setting)


def _dpo_trainer(
    name: str, loss_type: str, params: tuple[str, ...], about: str, keyed: bool = True
) -> Method:
    """A method on trl's DPO trainer (the reference is the model with the adapter off)."""
    return Method(
        name, "dpo", loss_type, params, True, about=about, speed_switches=True, keyed=keyed
    )


METHODS: dict[str, Method] = {m.name: m for m in (
    _dpo_trainer("dpo", "sigmoid", ("beta",), "DPO, sigmoid loss", keyed=False),
    _dpo_trainer("ipo", "ipo", ("beta",), "IPO: squared loss, beta is tau"),
    _dpo_trainer("robust", "robust", ("beta", "label_smoothing"),
                 "robust DPO: label_smoothing = share of flipped preferences"),
    _dpo_trainer("hinge", "hinge", ("beta",), "SLiC hinge loss"),
    Method("kto", "kto", "kto", ("beta", "kto_desirable_weight", "kto_undesirable_weight"),
           True, rows_per_pair=2, about="KTO: chosen desirable, rejected undesirable",
           min_batch=2, min_batch_why="its KL estimate pairs rows of a batch"),
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
        raise InputError(
            f"align settings: method must be one of {', '.join(METHODS)}, got {name!r}"
        ) from None


def unused(name: str) -> frozenset[str]:
    """Settings a run of method ``name`` ignores (``method`` itself for dpo, whose run keys
    predate the setting)."""
    method = get(name)
    drop = METHOD_PARAMS - set(method.params)
    return drop if method.keyed else drop | {"method"}
