"""Spillover over training: each cell's Δ against the training step it was measured at.

A ``Trajectory`` is built from plain (step, ``SpilloverTable``) pairs — each table one
checkpoint compared with the same baseline — whatever produced them (an audit's saved
checkpoints, or candidates given with their steps). Per cell (attribute × context ×
metric) it keeps Δ, its CI and the table's verdict at every step, and the first step at
which the cell is *degraded*: significant after the table's correction, as its verdict
says. With a gate section the tables are first re-corrected over the gate's family (as
the gate's report is), and in ``noninferiority`` mode each checked cell's one-sided upper
bound is held against its margin too: ``first_inconclusive`` is the first step at which
the bound no longer lies below the margin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from auditor.audit.noninferiority import INCONCLUSIVE, judge
from auditor.core.errors import InputError
from auditor.stats.table import COLUMNS, DEGRADED, UNDEFINED, SpilloverTable

if TYPE_CHECKING:
    from auditor.audit.profiles import GateSection
    from auditor.audit.result import AuditResult

METRICS = ("accuracy", "bias")


@dataclass(frozen=True)
class Point:
    """One cell's metric at one step."""

    step: int
    delta: float | None
    ci: tuple[float, float] | None
    verdict: str
    marker: str = ""
    upper: float | None = None  # noninferiority: the upper bound on the degradation
    judgement: str = ""  # noninferiority: "non-inferior" | "inconclusive"; "" unjudged


@dataclass(frozen=True)
class CellPath:
    """One cell's metric over the steps."""

    attribute: str
    context: str
    metric: str  # "accuracy" | "bias"
    is_target: bool
    points: tuple[Point, ...]
    margin: float | None = None  # noninferiority: the cell's margin

    @property
    def first_degraded(self) -> int | None:
        """The first step whose verdict is degraded (None: at no step)."""
        return next((p.step for p in self.points if p.verdict == DEGRADED), None)

    @property
    def first_inconclusive(self) -> int | None:
        """The first step whose bound does not lie below the margin (None: at no step,
        or not judged)."""
        return next((p.step for p in self.points if p.judgement == INCONCLUSIVE), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "context": self.context,
            "metric": self.metric,
            "is_target": self.is_target,
            "margin": self.margin,
            "first_degraded": self.first_degraded,
            "first_inconclusive": self.first_inconclusive,
            "points": [{**asdict(p), "ci": list(p.ci) if p.ci else None} for p in self.points],
        }


@dataclass(frozen=True)
class Trajectory:
    """Every cell's path over ``steps`` (ascending); ``final_step`` is the final model's."""

    steps: tuple[int, ...]
    cells: tuple[CellPath, ...]
    target: tuple[str, ...] = ()
    mode: str = "significance"  # which verdicts judged: "significance" | "noninferiority"
    correction: str = "holm"
    alpha: float = 0.05
    final_step: int | None = None

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.attribute for c in self.cells))

    def cell(self, attribute: str, context: str, metric: str) -> CellPath | None:
        return next(
            (
                c
                for c in self.cells
                if (c.attribute, c.context, c.metric) == (attribute, context, metric)
            ),
            None,
        )

    @classmethod
    def from_tables(
        cls,
        points: Iterable[tuple[int, SpilloverTable]],
        *,
        gate: GateSection | None = None,
        final_step: int | None = None,
    ) -> Trajectory:
        """From (step, table) pairs, each table one model against the same baseline;
        ``gate``: a ``GateSection`` whose family and mode judge every table."""
        pairs = sorted(points, key=lambda p: p[0])
        steps = [s for s, _ in pairs]
        if not pairs:
            raise InputError("a trajectory needs at least one (step, table) point")
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in steps):
            raise InputError(f"trajectory steps must be integers >= 0, got {steps}")
        if len(set(steps)) < len(steps):
            raise InputError(f"trajectory steps must be distinct, got {steps}")
        tables = [t for _, t in pairs]
        first = tables[0]
        for step, table in pairs[1:]:
            if (table.attributes, table.target) != (first.attributes, first.target):
                raise InputError(
                    f"trajectory step {step}: its table's attributes or target differ from "
                    f"step {steps[0]}'s; every point must compare the same cells"
                )
        noninferiority = gate is not None and gate.mode == "noninferiority"
        if gate is not None:
            from auditor.audit.gate import checked_cells, regate

            tables = [regate(t, gate) for t in tables]
            checked = set(checked_cells(tables[0], gate.cells))
        cells = []
        for attribute in first.attributes:
            for context in COLUMNS:
                for metric in METRICS if context != "overall" else ("accuracy",):
                    judged = noninferiority and (attribute, context) in checked
                    margin = gate.margin(metric, attribute) if judged and gate else None
                    path = tuple(
                        _point(step, table, attribute, context, metric, margin, gate)
                        for step, table in zip(steps, tables, strict=True)
                    )
                    is_target = attribute in first.target
                    cells.append(CellPath(attribute, context, metric, is_target, path, margin))
        last = tables[-1]
        return cls(
            tuple(steps),
            tuple(cells),
            tuple(first.target),
            "noninferiority" if noninferiority else "significance",
            last.correction,
            last.alpha,
            final_step,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": list(self.steps),
            "final_step": self.final_step,
            "target": list(self.target),
            "mode": self.mode,
            "correction": self.correction,
            "alpha": self.alpha,
            "cells": [c.to_dict() for c in self.cells],
        }


def _point(
    step: int,
    table: SpilloverTable,
    attribute: str,
    context: str,
    metric: str,
    margin: float | None,
    gate: GateSection | None,
) -> Point:
    cell = table.cell(attribute, context)
    if cell is None:
        return Point(step, None, None, UNDEFINED)
    change = getattr(cell, metric)
    point = Point(step, change.delta, change.ci, change.verdict, change.marker)
    if margin is None or gate is None:
        return point
    j = judge(change.bound, attribute, context, metric, margin, gate.alpha)
    return Point(step, change.delta, change.ci, change.verdict, change.marker, j.upper, j.verdict)


def stored_trajectory(result: AuditResult, gate: GateSection | None = None) -> Trajectory | None:
    """A stored audit's trajectory (``AuditResult.trajectory``): its checkpoints' tables
    and, at the final step, the audit's own table; None when the audit has none."""
    stored = getattr(result, "trajectory", None)
    if not stored:
        return None
    try:
        points = [(p["step"], SpilloverTable.from_dict(p["table"])) for p in stored["points"]]
    except (KeyError, TypeError, ValueError) as exc:  # a record this version cannot read
        raise InputError(
            f"audit {result.audit_id}: its stored trajectory cannot be read "
            f"({type(exc).__name__}: {exc})"
        ) from None
    final = stored.get("final_step")
    if final is not None:
        points.append((final, result.table))
    return Trajectory.from_tables(points, gate=gate, final_step=final)
