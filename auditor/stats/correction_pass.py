"""The correction pass of a spillover table: correct its family of tests, set markers,
verdicts, each seed's own corrected verdict and, once complete, each accuracy cell's MDE."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from auditor.stats.corrections import adjust, marker
from auditor.stats.power import cell_level, mde
from auditor.stats.verdicts import NOT_GATED, accuracy_verdict, bias_verdict

if TYPE_CHECKING:
    from auditor.stats.table import (
        AccuracyChange,
        BiasChange,
        Cell,
        Row,
        SeedResult,
        SpilloverTable,
    )

_Change = TypeVar("_Change", "AccuracyChange", "BiasChange")


def cell_mde(acc: AccuracyChange, level: float) -> float | None:
    """The accuracy cell's minimum detectable effect at ``level``, from its n and (b + c) / n
    (with seeds: one seed's test at the seeds' mean discordance, b and c being totals)."""
    runs = max(1, len(acc.seeds))
    return mde(acc.n, (acc.b + acc.c) / (acc.n * runs), level) if acc.n else None


def agreement(seeds: tuple[SeedResult, ...], verdict: str) -> int | None:
    """How many seeds' own verdicts are ``verdict`` (None without replicates)."""
    return sum(s.verdict == verdict for s in seeds) if seeds else None


def _seed_corrections(table: SpilloverTable) -> dict[tuple[int, str], float]:
    """Each seed's p-values corrected over that seed's defined tests in ``table``."""
    found: dict[int, dict[str, float]] = {}
    for row in table.rows:
        for cell in row.cells:
            for metric in ("accuracy", "bias"):
                for result in getattr(cell, metric).seeds:
                    key = f"{row.attribute}/{cell.context}/{metric}"
                    if result.p is not None and in_family(table, key):
                        found.setdefault(result.seed, {})[key] = result.p
    out: dict[tuple[int, str], float] = {}
    for seed, family in found.items():
        values = adjust(list(family.values()), table.correction).tolist()
        out |= {(seed, key): p for key, p in zip(family, values, strict=True)}
    return out


def _with_seeds(
    change: _Change, per_seed: dict[tuple[int, str], float], key: str, alpha: float
) -> _Change:
    """``change`` with its seeds re-corrected and judged, and the seeds' agreement."""
    judged: list[SeedResult] = []
    for result in change.seeds:
        pc = per_seed.get((result.seed, key))
        verdict = (
            accuracy_verdict(result.delta, pc, alpha)
            if key.endswith("accuracy")
            else bias_verdict(result.before, result.after, pc, alpha)
        )
        judged.append(replace(result, p_corrected=pc, verdict=verdict))
    seeds = tuple(judged)
    return replace(change, seeds=seeds, agreement=agreement(seeds, change.verdict))


def in_family(table: SpilloverTable, key: str) -> bool:
    return not table.scope or key in table.scope


def _outside(change: _Change) -> _Change:
    """A defined test a gate's family leaves out: shown, never judged."""
    seeds = tuple(replace(s, p_corrected=None, verdict=NOT_GATED) for s in change.seeds)
    return replace(change, verdict=NOT_GATED, seeds=seeds, agreement=None)


def corrected(table: SpilloverTable) -> SpilloverTable:
    """Correct the family of every defined test in ``table`` and set markers and verdicts."""
    keys: list[str] = []
    pvalues: list[float] = []
    for row in table.rows:
        for cell in row.cells:
            for metric in ("accuracy", "bias"):
                p, key = getattr(cell, metric).p, f"{row.attribute}/{cell.context}/{metric}"
                if p is not None and in_family(table, key):
                    keys.append(key)
                    pvalues.append(p)
    adjusted = dict(zip(keys, adjust(pvalues, table.correction).tolist(), strict=True))
    per_seed = _seed_corrections(table)
    complete = table.complete
    rows: list[Row] = []
    for row in table.rows:
        cells: list[Cell] = []
        for cell in row.cells:
            acc, bias = cell.accuracy, cell.bias
            pa = adjusted.get(f"{row.attribute}/{cell.context}/accuracy")
            pb = adjusted.get(f"{row.attribute}/{cell.context}/bias")
            acc = replace(
                acc,
                p_corrected=pa,
                marker=marker(acc.delta, pa),
                verdict=accuracy_verdict(acc.delta, pa, table.alpha),
                mde=None,
            )
            if complete and pa is not None and table.accuracy_test != "cluster":
                at = keys.index(f"{row.attribute}/{cell.context}/accuracy")
                acc = replace(
                    acc, mde=cell_mde(acc, cell_level(pvalues, at, table.correction, table.alpha))
                )
            bias = replace(
                bias,
                p_corrected=pb,
                marker=marker(bias.delta, pb),
                verdict=bias_verdict(bias.before, bias.after, pb, table.alpha),
            )
            if acc.seeds or bias.seeds:
                where = f"{row.attribute}/{cell.context}"
                acc = _with_seeds(acc, per_seed, f"{where}/accuracy", table.alpha)
                bias = _with_seeds(bias, per_seed, f"{where}/bias", table.alpha)
            if acc.p is not None and pa is None:
                acc = _outside(acc)
            if bias.p is not None and pb is None:
                bias = _outside(bias)
            cells.append(replace(cell, accuracy=acc, bias=bias))
        rows.append(replace(row, cells=tuple(cells)))
    return replace(table, rows=tuple(rows), family=tuple(keys))
