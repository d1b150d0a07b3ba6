"""McNemar against a cluster-robust paired accuracy test, cell by cell.

McNemar's test treats every item as an independent pair; the four items of a BBQ template
instance (ambig/disambig × neg/nonneg) share their names, wording and answers, so their
changes correlate and McNemar's p is too small. The cluster test is the exact sign-flip
test of ``stats.pooled`` with one aligned run: per template instance the total
D_g = Σ (after − before) over its items in the cell, and p = P(|Σ s_g·D_g| ≥ |Σ D_g|)
over independent random signs s_g — valid when instances are independent, however
their items correlate.

Both tests are corrected in the table's family (the bias tests unchanged); a cell
``differs`` when the two verdicts do. Selecting the cluster test (``[stats]
accuracy_test = "cluster"``) puts its p-values in the table instead of McNemar's (the
McNemar p-values stay in ``p_exact``, ``p_mid`` and ``p_chi2``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from auditor.core.choices import ACCURACY_TESTS
from auditor.core.errors import InputError
from auditor.stats.corrections import adjust
from auditor.stats.frame import Frame
from auditor.stats.pooled import cluster_totals, sign_flip_p
from auditor.stats.table import SpilloverTable, accuracy_verdict, corrected

CLUSTER_TEST = (
    "exact sign-flip test over template instances (cluster totals of "
    "after − before), in place of McNemar"
)


@dataclass(frozen=True, slots=True)
class AccuracyTests:
    """One accuracy cell under McNemar and under the cluster test, each corrected in the
    table's family; ``seed`` names the seed's own comparison in a pooled table."""

    attribute: str
    context: str
    n: int
    n_clusters: int
    delta: float | None
    p_mcnemar: float | None
    p_cluster: float | None
    p_corrected_mcnemar: float | None = None
    p_corrected_cluster: float | None = None
    verdict_mcnemar: str = "pending"
    verdict_cluster: str = "pending"
    seed: int | None = None

    @property
    def differs(self) -> bool:
        return self.verdict_mcnemar != self.verdict_cluster

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccuracyTests:
        return cls(**data)


def cluster_p(frame: Frame, mask: np.ndarray, run: int = 1) -> tuple[float | None, int]:
    """The sign-flip p of run ``run`` against run 0 on a slice, and its instances."""
    if not mask.any():
        return None, 0
    totals = cluster_totals(frame.correct[0, mask], frame.correct[run, mask], frame.cluster[mask])
    return sign_flip_p(totals), int(totals.size)


def _judge(
    tests: list[AccuracyTests], others: dict[str, float], method: str, alpha: float
) -> list[AccuracyTests]:
    """Correct each test's p-values in the family ``others`` (the bias tests) + accuracy."""
    adjusted = {}
    for name in ("mcnemar", "cluster"):
        family = dict(others)
        family |= {
            f"{t.attribute}/{t.context}/accuracy": getattr(t, f"p_{name}")
            for t in tests
            if getattr(t, f"p_{name}") is not None
        }
        adjusted[name] = dict(
            zip(family, adjust(list(family.values()), method).tolist(), strict=True)
        )
    out = []
    for t in tests:
        key = f"{t.attribute}/{t.context}/accuracy"
        pm, pc = adjusted["mcnemar"].get(key), adjusted["cluster"].get(key)
        out.append(
            replace(
                t,
                p_corrected_mcnemar=pm,
                p_corrected_cluster=pc,
                verdict_mcnemar=accuracy_verdict(t.delta, pm, alpha),
                verdict_cluster=accuracy_verdict(t.delta, pc, alpha),
            )
        )
    return out


def compare_tests(table: SpilloverTable, frame: Frame) -> tuple[AccuracyTests, ...]:
    """Every accuracy cell of a one-run ``table`` (computed on ``frame``) under both tests."""
    tests, others = [], {}
    for row in table.rows:
        for cell in row.cells:
            if cell.bias.p is not None:
                others[f"{row.attribute}/{cell.context}/bias"] = cell.bias.p
            mask = frame.mask(row.attribute, None if cell.context == "overall" else cell.context)
            p, clusters = cluster_p(frame, mask)
            acc = cell.accuracy
            mcnemar = acc.p if table.accuracy_test != "cluster" else acc.p_exact
            tests.append(
                AccuracyTests(row.attribute, cell.context, acc.n, clusters, acc.delta, mcnemar, p)
            )
    return tuple(_judge(tests, others, table.correction, table.alpha))


def seed_tests(table: SpilloverTable, frames: dict[int, Frame]) -> tuple[AccuracyTests, ...]:
    """A pooled table's seeds, each on its own: its McNemar p against the cluster test,
    corrected over that seed's family (``frames``: seed → its frame with the baseline)."""
    out = []
    for seed, frame in frames.items():
        tests, others = [], {}
        for row in table.rows:
            for cell in row.cells:
                bias = next((s for s in cell.bias.seeds if s.seed == seed), None)
                if bias is not None and bias.p is not None:
                    others[f"{row.attribute}/{cell.context}/bias"] = bias.p
                acc = next((s for s in cell.accuracy.seeds if s.seed == seed), None)
                if acc is None:
                    continue
                mask = frame.mask(
                    row.attribute, None if cell.context == "overall" else cell.context
                )
                p, clusters = cluster_p(frame, mask)
                tests.append(
                    AccuracyTests(
                        row.attribute,
                        cell.context,
                        int(mask.sum()),
                        clusters,
                        acc.delta,
                        acc.p,
                        p,
                        seed=seed,
                    )
                )
        out += _judge(tests, others, table.correction, table.alpha)
    return tuple(out)


def check_test(test: str) -> None:
    """Refuse an accuracy test name that is not one of ACCURACY_TESTS."""
    if test not in ACCURACY_TESTS:
        raise InputError(
            f"unknown accuracy test {test!r}: expected one of {', '.join(ACCURACY_TESTS)}"
        )


def with_accuracy_test(
    table: SpilloverTable, frame: Frame, test: str = "mcnemar"
) -> SpilloverTable:
    """``table`` (one aligned run) with both tests compared, and the cluster test's
    p-values in its cells when ``test`` is "cluster"."""
    check_test(test)
    tests = compare_tests(table, frame)
    table = replace(table, clustering=tests)
    if test == "mcnemar":
        return table
    by_cell = {(t.attribute, t.context): t.p_cluster for t in tests}
    rows = tuple(
        replace(
            row,
            cells=tuple(
                replace(c, accuracy=replace(c.accuracy, p=by_cell[(row.attribute, c.context)]))
                for c in row.cells
            ),
        )
        for row in table.rows
    )
    return corrected(
        replace(
            table,
            rows=rows,
            accuracy_test="cluster",
            notes=(*table.notes, f"accuracy: {CLUSTER_TEST}"),
        )
    )


def differing(tests: Iterable[AccuracyTests]) -> int:
    """Cells whose verdict differs between McNemar and the cluster test."""
    return sum(t.differs for t in tests)
