"""Columnar arrays of items and the answers of one or more runs, for fast statistics.

A frame holds only the items every given run answered; items answered by some runs but
not all are counted in ``unmatched`` (per run), never silently paired.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.core.items import ATTRIBUTES, CONTEXTS, POLARITIES, Item
from auditor.core.items import UNKNOWN as UNKNOWN_ROLE

BIASED, ANTI, UNKNOWN, INVALID, LEFT_OUT = 0, 1, 2, 3, 4
"""Role codes: biased, anti-biased, unknown option, invalid answer, and a non-unknown
answer on an item whose biased option is not known (left out of bias scores)."""


@dataclass(frozen=True, eq=False)
class Frame:
    """Items as parallel arrays; ``role`` and ``correct`` have one row per run.

    ``attribute``, ``context``, ``polarity`` and ``cluster`` are integer codes into
    ``attributes``, CONTEXTS, POLARITIES and the template instances (``Item.template``).
    """

    ids: tuple[str, ...]
    attributes: tuple[str, ...]
    attribute: np.ndarray
    context: np.ndarray
    polarity: np.ndarray
    cluster: np.ndarray
    n_clusters: int
    role: np.ndarray
    correct: np.ndarray
    unmatched: tuple[int, ...]

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def runs(self) -> int:
        return int(self.role.shape[0])

    def mask(
        self,
        attribute: str | None = None,
        context: str | None = None,
        polarity: str | None = None,
    ) -> np.ndarray:
        """Boolean mask of the items in a slice; None selects everything on that axis."""
        keep = np.ones(self.n, dtype=bool)
        if attribute is not None:
            code = self.attributes.index(attribute) if attribute in self.attributes else -1
            keep &= self.attribute == code
        if context is not None:
            keep &= self.context == CONTEXTS.index(context)
        if polarity is not None:
            keep &= self.polarity == POLARITIES.index(polarity)
        return keep


def attribute_order(names: Iterable[str]) -> tuple[str, ...]:
    """Attributes in the canonical BBQ order, unknown names after them, sorted."""
    present = set(names)
    return tuple(a for a in ATTRIBUTES if a in present) + tuple(sorted(present - set(ATTRIBUTES)))


def role_code(item: Item, predicted: int | None) -> int:
    if predicted is None:
        return INVALID
    if not 0 <= predicted < len(item.options):
        raise InputError(
            f"answer for item {item.id}: option {predicted} is out of range 0–{len(item.options) - 1}"
        )
    role = item.role_of(predicted)
    if role is None:
        return LEFT_OUT
    return UNKNOWN if role == UNKNOWN_ROLE else (BIASED if role == "biased" else ANTI)


def _index(items: Mapping[str, Item], answers: Sequence[Answer], run: int) -> dict[str, Answer]:
    by_id: dict[str, Answer] = {}
    for answer in answers:
        if answer.item_id in by_id:
            raise InputError(f"run {run + 1}: item {answer.item_id} is answered twice")
        if answer.item_id not in items:
            raise InputError(
                f"run {run + 1}: answer for item {answer.item_id}, which is not among the "
                f"{len(items)} loaded items: load the BBQ data the run was scored on"
            )
        by_id[answer.item_id] = answer
    return by_id


def build_frame(items: Mapping[str, Item], *runs: Sequence[Answer]) -> Frame:
    """The frame of the items every run in ``runs`` answered, in ``items`` order."""
    if not runs:
        raise ValueError("build_frame needs at least one run")
    indexed = [_index(items, answers, i) for i, answers in enumerate(runs)]
    common = [iid for iid in items if all(iid in run for run in indexed)]
    chosen = [items[iid] for iid in common]
    attributes = attribute_order(item.attribute for item in chosen)
    attr_code = {a: i for i, a in enumerate(attributes)}
    clusters: dict[str, int] = {}
    n = len(chosen)
    attribute = np.empty(n, dtype=np.int16)
    context = np.empty(n, dtype=np.int8)
    polarity = np.empty(n, dtype=np.int8)
    cluster = np.empty(n, dtype=np.int64)
    role = np.empty((len(runs), n), dtype=np.int64)
    correct = np.empty((len(runs), n), dtype=bool)
    for j, item in enumerate(chosen):
        attribute[j] = attr_code[item.attribute]
        context[j] = CONTEXTS.index(item.context_condition)
        polarity[j] = POLARITIES.index(item.polarity)
        cluster[j] = clusters.setdefault(item.template, len(clusters))
        for r, run in enumerate(indexed):
            predicted = run[item.id].predicted
            role[r, j] = role_code(item, predicted)
            correct[r, j] = predicted is not None and predicted == item.label
    return Frame(
        ids=tuple(common),
        attributes=attributes,
        attribute=attribute,
        context=context,
        polarity=polarity,
        cluster=cluster,
        n_clusters=len(clusters),
        role=role,
        correct=correct,
        unmatched=tuple(len(run) - n for run in indexed),
    )
