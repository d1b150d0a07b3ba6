"""The spillover table of DPO seed replicates: one baseline, one aligned run per seed.

Each seed is first compared with the baseline on its own (a full table): that gives
every seed's Δ and p, corrected over that seed's tests and judged like the pooled ones
(``table.corrected`` redoes it when a gate re-corrects at its own level). The pooled table then pairs
the items the baseline and every seed answered and, per cell, tests the mean Δ over the
seeds with the pooled tests of ``stats.pooled`` (accuracy: exact cluster sign-flip
test; bias score: paired cluster bootstrap with the same instances drawn for the
baseline and every seed). Its family of pooled tests is corrected like a single run's,
and each cell records how many seeds agree with its verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import numpy as np

from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.core.events import CancelToken, CellUpdated, Reporter, check_cancel
from auditor.core.items import Item
from auditor.stats.bootstrap import (
    cell_rng,
    cluster_sums,
    percentile_ci,
    resample_totals,
)
from auditor.stats.compare import bias_change, compare_runs, start_table
from auditor.stats.frame import Frame, build_frame
from auditor.stats.noninferiority import accuracy_bound
from auditor.stats.pooled import pooled_accuracy
from auditor.stats.table import (
    COLUMNS,
    AccuracyChange,
    Cell,
    Pairing,
    Row,
    SeedResult,
    SpilloverTable,
)

POOLED_TEST = (
    "accuracy: exact sign-flip randomization test over template instances on "
    "mean(aligned over seeds) − base; bias: paired cluster bootstrap, the same "
    "instances drawn for the baseline and every seed"
)


def seed_results(
    tables: Mapping[int, SpilloverTable], attribute: str, context: str, metric: str
) -> tuple[SeedResult, ...]:
    """Every seed's own result in one cell."""
    out = []
    for seed, table in tables.items():
        cell = table.cell(attribute, context)
        change = getattr(cell, metric) if cell else None
        out.append(
            SeedResult(seed, None, None, None, "undefined")
            if change is None
            else SeedResult(
                seed,
                change.delta,
                change.p,
                change.p_corrected,
                change.verdict,
                change.before,
                change.after,
            )
        )
    return tuple(out)


def pooled_accuracy_change(
    frame: Frame, mask: np.ndarray, alpha: float, n_boot: int, rng: np.random.Generator
) -> AccuracyChange:
    """The pooled accuracy comparison on a slice (b and c are totals over the seeds)."""
    base, aligned = frame.correct[0, mask], frame.correct[1:, mask]
    result = pooled_accuracy(base, aligned, frame.cluster[mask])
    if result.n == 0:
        return AccuracyChange(0, 0, 0, None, None, None, None, None, None, None, None)
    b = int(np.count_nonzero(base & ~aligned))
    c = int(np.count_nonzero(~base & aligned))
    seeds = aligned.shape[0]
    # percentile CI of the mean difference from a cluster bootstrap of the instances
    scaled = aligned.sum(axis=0).astype(float) - seeds * base
    sums = cluster_sums(frame.cluster[mask], np.stack([scaled, np.ones(base.size)], axis=1))
    totals = resample_totals(sums, n_boot, rng)
    deltas = totals[:, 0] / (seeds * totals[:, 1])
    return AccuracyChange(
        n=result.n,
        b=b,
        c=c,
        before=result.before,
        after=result.after,
        delta=result.delta,
        ci=percentile_ci(deltas, alpha),
        p_exact=None,
        p_mid=None,
        p_chi2=None,
        p=result.p,
        bound=accuracy_bound(base, aligned, frame.cluster[mask]),
    )


def compare_replicates(
    items: Mapping[str, Item],
    before_answers: Sequence[Answer],
    seed_answers: Mapping[int, Sequence[Answer]],
    target: Iterable[str] = ("Gender_identity",),
    attributes: Iterable[str] | None = None,
    correction: str = "holm",
    alpha: float = 0.05,
    n_boot: int = 10_000,
    seed: int = 0,
    *,
    accuracy_test: str = "exact",
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> SpilloverTable:
    """The pooled spillover table of a baseline and one aligned run per DPO seed.

    ``seed_answers`` maps each DPO seed to its aligned run's answers (at least one).
    ``seed`` is the bootstrap seed, as in ``compare_runs``.
    """
    if not seed_answers:
        raise InputError("no seed replicates to pool: give at least one aligned run")
    target = tuple(target)
    singles = {}
    for s, answers in seed_answers.items():
        check_cancel(cancel)
        tagged = (
            None
            if reporter is None
            # each seed's own cells, tagged with it
            else (lambda event, s=s: reporter(replace(event, seed=s)))
        )
        singles[s] = compare_runs(
            items,
            before_answers,
            answers,
            target=target,
            attributes=attributes,
            correction=correction,
            alpha=alpha,
            n_boot=n_boot,
            seed=seed,
            accuracy_test=accuracy_test,
            cancel=cancel,
            reporter=tagged,
        )
    frame = build_frame(items, before_answers, *seed_answers.values())
    table = start_table(
        frame,
        target,
        attributes,
        correction=correction,
        alpha=alpha,
        accuracy_test=accuracy_test,
        n_boot=n_boot,
        seed=seed,
    )
    table = replace(
        table,
        seeds=tuple(seed_answers),
        pairing=Pairing(frame.n, frame.unmatched[0], max(frame.unmatched[1:])),
        notes=(f"pooled over DPO seeds {', '.join(map(str, seed_answers))}: {POOLED_TEST}",),
    )
    for attribute in table.attributes:
        row = Row(attribute, attribute in table.target)
        for context in COLUMNS:
            check_cancel(cancel)
            mask = frame.mask(attribute, None if context == "overall" else context)
            rng = cell_rng(seed, "pooled", attribute, context)
            acc = pooled_accuracy_change(frame, mask, alpha, n_boot, rng)
            bias = bias_change(
                frame,
                mask,
                context,
                alpha,
                n_boot,
                rng,
                name=lambda r: "base" if r == 0 else f"seed run {r}",
            )
            cell = Cell(
                attribute,
                context,
                replace(acc, seeds=seed_results(singles, attribute, context, "accuracy")),
                replace(bias, seeds=seed_results(singles, attribute, context, "bias")),
            )
            row = row.with_cell(cell)
            if reporter is not None:
                reporter(CellUpdated(attribute, context, cell.to_dict()))
        table = table.with_row(row)
    return table
