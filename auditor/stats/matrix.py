"""The spillover matrix: recipes (method, target) × evaluated cells (attribute × context).

Each recipe is one audit with its own spillover table; the matrix lays the tables side
by side and judges every cell again with ONE correction family spanning the whole
matrix: every defined test (accuracy and bias score, every attribute and context) of
every recipe, corrected together with the profile's method (Holm or
Benjamini–Hochberg). The raw p-values are the tables' own (with seed replicates the
pooled test's), so a cell's Δ and raw p equal its audit's; only the corrected p, the
marker and the verdict change (the family is larger, so it is never more lenient than
one audit's under Holm). With seeds, each seed's own p-values are corrected over that
seed's tests across the matrix too, and ``agreement`` counts the seeds whose own verdict
matches the cell's.

The summary of a row counts its untargeted cells (attributes the recipe did not align
on) whose accuracy or bias score degraded significantly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from auditor.stats.corrections import adjust, marker
from auditor.stats.table import (
    DEGRADED,
    AccuracyChange,
    BiasChange,
    SeedResult,
    SpilloverTable,
    accuracy_verdict,
    agreement,
    bias_verdict,
)

SCHEMA = "spillover.matrix/1"
METRICS = ("accuracy", "bias")

_Key = tuple[int, str, str, str]  # (recipe index, attribute, context, metric)
_Change = AccuracyChange | BiasChange


@dataclass(frozen=True)
class RecipeTable:
    """One recipe's finished audit and its spillover table."""

    method: str
    target: tuple[str, ...]
    audit_id: str
    table: SpilloverTable


@dataclass(frozen=True, slots=True)
class Entry:
    """One metric of a matrix cell: the audit's Δ and raw p, judged in the matrix family."""

    before: float | None
    after: float | None
    delta: float | None
    p: float | None
    p_corrected: float | None = None
    marker: str = ""
    verdict: str = "pending"
    seeds: tuple[SeedResult, ...] = ()
    agreement: int | None = None


@dataclass(frozen=True, slots=True)
class MatrixCell:
    attribute: str
    context: str
    targeted: bool  # the recipe aligned on this attribute (held-out items)
    n: int  # paired items of the accuracy test
    accuracy: Entry
    bias: Entry

    @property
    def degraded(self) -> bool:
        return DEGRADED in (self.accuracy.verdict, self.bias.verdict)


@dataclass(frozen=True, slots=True)
class MatrixRow:
    method: str
    target: tuple[str, ...]
    audit_id: str
    cells: tuple[MatrixCell, ...]
    untargeted: int = 0  # untargeted cells with at least one defined test
    degraded: int = 0  # of them, cells where accuracy or bias degraded significantly
    degraded_accuracy: int = 0
    degraded_bias: int = 0

    def cell(self, attribute: str, context: str) -> MatrixCell | None:
        return next(
            (c for c in self.cells if c.attribute == attribute and c.context == context), None
        )


@dataclass(frozen=True, slots=True)
class SpilloverMatrix:
    rows: tuple[MatrixRow, ...]
    columns: tuple[tuple[str, str], ...]  # (attribute, context), in table order
    correction: str
    alpha: float
    family: int  # tests corrected together: every defined test of every recipe
    seeds: tuple[int, ...] = ()

    @property
    def family_note(self) -> str:
        name = {"holm": "Holm", "bh": "Benjamini–Hochberg"}.get(self.correction, self.correction)
        return (
            f"one correction family spans the whole matrix: {name} over all {self.family} "
            f"tests (accuracy and bias score, every attribute × context of every recipe), "
            f"α = {self.alpha:g}"
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["columns"] = [list(c) for c in self.columns]
        return {"schema": SCHEMA, "family_note": self.family_note, **data}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def _entry(change: _Change) -> Entry:
    return Entry(change.before, change.after, change.delta, change.p, seeds=change.seeds)


def _keys(recipes: Sequence[RecipeTable]) -> Iterator[tuple[_Key, _Change]]:
    """(recipe index, attribute, context, metric) -> raw p, over every defined test."""
    for r, recipe in enumerate(recipes):
        for row in recipe.table.rows:
            for cell in row.cells:
                for metric in METRICS:
                    yield (r, row.attribute, cell.context, metric), getattr(cell, metric)


def build_matrix(
    recipes: list[RecipeTable], *, correction: str = "holm", alpha: float = 0.05
) -> SpilloverMatrix:
    """The matrix of ``recipes``' tables, every test corrected in one family."""
    found = [(key, change) for key, change in _keys(recipes)]
    tested = [(key, change.p) for key, change in found if change.p is not None]
    adjusted = dict(
        zip(
            [k for k, _ in tested], adjust([p for _, p in tested], correction).tolist(), strict=True
        )
    )
    seed_adjusted = _seed_family(found, correction)
    columns = tuple(
        dict.fromkeys(
            (row.attribute, cell.context)
            for recipe in recipes
            for row in recipe.table.rows
            for cell in row.cells
        )
    )
    rows = []
    for r, recipe in enumerate(recipes):
        cells = []
        for row in recipe.table.rows:
            for cell in row.cells:
                judged: dict[str, Entry] = {}
                for metric in METRICS:
                    key = (r, row.attribute, cell.context, metric)
                    judged[metric] = _judge(
                        _entry(getattr(cell, metric)),
                        metric,
                        adjusted.get(key),
                        seed_adjusted,
                        key,
                        alpha,
                    )
                cells.append(
                    MatrixCell(
                        row.attribute,
                        cell.context,
                        row.attribute in recipe.target,
                        cell.accuracy.n,
                        judged["accuracy"],
                        judged["bias"],
                    )
                )
        cells.sort(key=lambda c: columns.index((c.attribute, c.context)))
        rows.append(
            _summarised(MatrixRow(recipe.method, recipe.target, recipe.audit_id, tuple(cells)))
        )
    seeds = tuple(dict.fromkeys(s for recipe in recipes for s in recipe.table.seeds))
    return SpilloverMatrix(tuple(rows), columns, correction, alpha, len(tested), seeds)


def _judge(
    entry: Entry,
    metric: str,
    pc: float | None,
    seed_adjusted: dict[tuple[int, _Key], float],
    key: _Key,
    alpha: float,
) -> Entry:
    entry = replace(
        entry,
        p_corrected=pc,
        marker=marker(entry.delta, pc),
        verdict=_verdict(metric, entry, pc, alpha),
    )
    if not entry.seeds:
        return entry
    seeds = tuple(
        replace(
            s,
            p_corrected=(q := seed_adjusted.get((s.seed, key))),
            verdict=_verdict(metric, s, q, alpha),
        )
        for s in entry.seeds
    )
    return replace(entry, seeds=seeds, agreement=agreement(seeds, entry.verdict))


def _verdict(metric: str, change: Entry | SeedResult, p: float | None, alpha: float) -> str:
    if metric == "accuracy":
        return accuracy_verdict(change.delta, p, alpha)
    return bias_verdict(change.before, change.after, p, alpha)


def _seed_family(
    found: Sequence[tuple[_Key, _Change]], correction: str
) -> dict[tuple[int, _Key], float]:
    """(seed, key) -> that seed's p corrected over the seed's tests across the matrix."""
    per_seed: dict[int, dict[_Key, float]] = {}
    for key, change in found:
        for s in change.seeds:
            if s.p is not None:
                per_seed.setdefault(s.seed, {})[key] = s.p
    out: dict[tuple[int, _Key], float] = {}
    for seed, family in per_seed.items():
        values = adjust(list(family.values()), correction).tolist()
        out |= {(seed, key): q for key, q in zip(family, values, strict=True)}
    return out


def _summarised(row: MatrixRow) -> MatrixRow:
    others = [
        c
        for c in row.cells
        if not c.targeted and (c.accuracy.p is not None or c.bias.p is not None)
    ]
    return replace(
        row,
        untargeted=len(others),
        degraded=sum(c.degraded for c in others),
        degraded_accuracy=sum(c.accuracy.verdict == DEGRADED for c in others),
        degraded_bias=sum(c.bias.verdict == DEGRADED for c in others),
    )
