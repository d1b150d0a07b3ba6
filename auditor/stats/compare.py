"""Paired comparison of a before-run and an after-run: the spillover table, cell by cell."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

import numpy as np

from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.core.events import CancelToken, CellUpdated, Reporter, check_cancel
from auditor.core.items import CATEGORIES, Item
from auditor.stats.bias import CONTEXT_FREE_REASON, bias_reason, bias_score
from auditor.stats.bootstrap import (
    bias_replicates,
    cell_rng,
    normal_p,
    percentile_ci,
    standard_error,
)
from auditor.stats.corrections import METHODS
from auditor.stats.exact import bias_exact_p
from auditor.stats.frame import ANTI, BIASED, Frame, attribute_order, build_frame
from auditor.stats.gap import compare_gaps
from auditor.stats.mcnemar import (
    TESTS,
    mcnemar,
    mcnemar_chi2,
    mcnemar_exact,
    mcnemar_midp,
    newcombe_paired_ci,
)
from auditor.stats.metrics import count
from auditor.stats.noninferiority import accuracy_bound, bias_bound
from auditor.stats.table import (
    COLUMNS,
    AccuracyChange,
    BiasChange,
    Cell,
    Pairing,
    Row,
    SpilloverTable,
)
from auditor.stats.unobserved import bias_range, movable


def pair_runs(
    items: Mapping[str, Item], before: Sequence[Answer], after: Sequence[Answer]
) -> Frame:
    """The frame of items both runs answered (run 0 = before, run 1 = after)."""
    return build_frame(items, before, after)


def pairing_of(frame: Frame) -> Pairing:
    return Pairing(frame.n, frame.unmatched[0], frame.unmatched[1])


def compare_accuracy(frame: Frame, mask: np.ndarray, test: str, alpha: float) -> AccuracyChange:
    before, after = frame.correct[0, mask], frame.correct[1, mask]
    n = int(before.size)
    b = int(np.count_nonzero(before & ~after))
    c = int(np.count_nonzero(~before & after))
    a = int(np.count_nonzero(before & after))
    if n == 0:
        return AccuracyChange(0, 0, 0, None, None, None, None, None, None, None, None)
    return AccuracyChange(
        n=n,
        b=b,
        c=c,
        before=(a + b) / n,
        after=(a + c) / n,
        delta=(c - b) / n,
        ci=newcombe_paired_ci(a, b, c, n - a - b - c, alpha),
        p_exact=mcnemar_exact(b, c),
        p_mid=mcnemar_midp(b, c),
        p_chi2=mcnemar_chi2(b, c),
        p=mcnemar(b, c, test),
        bound=accuracy_bound(before, after, frame.cluster[mask]),
    )


def compare_bias(
    frame: Frame,
    mask: np.ndarray,
    context: str,
    alpha: float,
    n_boot: int,
    rng: np.random.Generator,
) -> BiasChange:
    return bias_change(
        frame, mask, context, alpha, n_boot, rng, name=lambda r: ("before", "after")[r]
    )


def bias_change(
    frame: Frame,
    mask: np.ndarray,
    context: str,
    alpha: float,
    n_boot: int,
    rng: np.random.Generator,
    name: Callable[[int], str] = lambda r: f"run {r}",
) -> BiasChange:
    """The bias-score comparison of the frame's first run with the mean of the others (one
    aligned run, or one per seed): Δ = mean over them of their score − the first's, with
    the paired cluster bootstrap drawing the same instances for every run. Counts are
    (first, total over the others); ``name(r)`` names run r in a reason."""
    counts = [count(frame.role[r], frame.correct[r], mask) for r in range(frame.runs)]
    nonunk = (counts[0].n_non_unknown, sum(k.n_non_unknown for k in counts[1:]))
    left_out = (counts[0].n_left_out, sum(k.n_left_out for k in counts[1:]))
    clusters = int(np.unique(frame.cluster[mask]).size)
    base = BiasChange(
        None, None, None, None, None, n_non_unknown=nonunk, n_left_out=left_out, n_clusters=clusters
    )
    if context not in ("ambig", "disambig"):
        return replace(base, reason=CONTEXT_FREE_REASON)
    scores = [bias_score(context, k.n_biased, k.n_non_unknown, k.n_correct, k.n) for k in counts]
    if None in scores:
        reasons = [
            f"{name(r)}: {bias_reason(context, k.n_non_unknown, k.n)}"
            for r, (k, s) in enumerate(zip(counts, scores, strict=True))
            if s is None
        ]
        others = [s for s in scores[1:] if s is not None]
        after = None if len(others) < len(scores) - 1 else float(np.mean(others))
        return replace(base, before=scores[0], after=after, reason="; ".join(reasons))
    defined = [s for s in scores if s is not None]  # all of them, here
    reps = bias_replicates(frame, mask, context == "ambig", n_boot, rng)
    deltas = (reps[1:] - reps[0]).mean(axis=0)
    growth = (np.abs(reps[1:]) - np.abs(reps[0])).mean(axis=0)  # the same draws, |bias|
    after = float(np.mean(defined[1:]))
    delta = float(np.mean([s - defined[0] for s in defined[1:]]))  # exactly 0 when all equal
    p = bias_exact_p(frame, mask, context == "ambig", delta)
    return BiasChange(
        before=defined[0],
        after=after,
        delta=delta,
        ci=unchanged_ci(frame, mask, context, alpha) or percentile_ci(deltas, alpha),
        p=normal_p(delta, deltas, clusters) if p is None else p,
        se=standard_error(deltas),
        n_non_unknown=nonunk,
        n_left_out=left_out,
        n_clusters=clusters,
        n_boot=int(np.count_nonzero(~np.isnan(deltas))),
        bound=bias_bound(
            np.abs(defined[1:]) - abs(defined[0]), growth, int(np.count_nonzero(mask)), clusters
        ),
    )


def unchanged_ci(
    frame: Frame, mask: np.ndarray, context: str, alpha: float
) -> tuple[float, float] | None:
    """The interval of ``unobserved`` when no item of the cell changed its answer in any
    run (the bootstrap's would be [0, 0]); None otherwise."""
    role, correct = frame.role[:, mask], frame.correct[:, mask]
    if not ((role == role[0]).all() and (correct == correct[0]).all()):
        return None
    k = count(role[0], correct[0])
    counted = (role[0] == BIASED) | (role[0] == ANTI)  # wrong in ambig: its answer is unknown
    return bias_range(
        context == "ambig",
        k.n_biased,
        k.n_anti_biased,
        int(np.count_nonzero(correct[0] & ~counted)),
        k.n,
        movable(frame.cluster[mask], alpha),
    )


def compare_cell(
    frame: Frame,
    attribute: str,
    context: str,
    *,
    accuracy_test: str = "exact",
    alpha: float = 0.05,
    n_boot: int = 10_000,
    seed: int = 0,
) -> Cell:
    """One cell (attribute × ambig / disambig / overall), uncorrected."""
    mask = frame.mask(attribute, None if context == "overall" else context)
    rng = cell_rng(seed, "compare", attribute, context)
    return Cell(
        attribute,
        context,
        compare_accuracy(frame, mask, accuracy_test, alpha),
        compare_bias(frame, mask, context, alpha, n_boot, rng),
    )


def compare_attribute(
    frame: Frame,
    attribute: str,
    *,
    is_target: bool = False,
    accuracy_test: str = "exact",
    alpha: float = 0.05,
    n_boot: int = 10_000,
    seed: int = 0,
) -> Row:
    """One attribute's row on its own (uncorrected; put it in a table with ``with_row``)."""
    cells = tuple(
        compare_cell(
            frame, attribute, c, accuracy_test=accuracy_test, alpha=alpha, n_boot=n_boot, seed=seed
        )
        for c in COLUMNS
    )
    return Row(attribute, is_target, cells)


def start_table(
    frame: Frame,
    target: Iterable[str] = ("Gender_identity",),
    attributes: Iterable[str] | None = None,
    *,
    correction: str = "holm",
    alpha: float = 0.05,
    accuracy_test: str = "exact",
    n_boot: int = 10_000,
    seed: int = 0,
) -> SpilloverTable:
    """An empty table with the rows, settings and pairing fixed; fill it with ``with_cell``.
    An empty ``target`` leaves every attribute untargeted (a candidate audit naming none)."""
    target = _names(target, "target")
    chosen = frame.attributes if attributes is None else _names(attributes, "attribute")
    if correction not in METHODS:
        raise InputError(f"unknown correction {correction!r}: expected one of {', '.join(METHODS)}")
    if accuracy_test not in TESTS:
        raise InputError(
            f"unknown McNemar test {accuracy_test!r}: expected one of {', '.join(TESTS)}"
        )
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be between 0 and 1, got {alpha}")
    if n_boot < 1 or seed < 0:
        raise InputError(f"need n_boot >= 1 and seed >= 0, got n_boot={n_boot}, seed={seed}")
    rest = tuple(a for a in attribute_order(chosen) if a not in target)
    return SpilloverTable(
        target=target,
        attributes=target + rest,
        pairing=pairing_of(frame),
        correction=correction,
        alpha=alpha,
        accuracy_test=accuracy_test,
        n_boot=n_boot,
        seed=seed,
    )


def _names(names: Iterable[str], what: str) -> tuple[str, ...]:
    chosen = (names,) if isinstance(names, str) else tuple(dict.fromkeys(names))
    for name in chosen:
        if name not in CATEGORIES:
            raise InputError(f"unknown {what} {name!r}: expected one of {', '.join(CATEGORIES)}")
    return chosen


def compare_runs(
    items: Mapping[str, Item],
    before_answers: Sequence[Answer],
    after_answers: Sequence[Answer],
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
    """The spillover table of two runs over the items both scored, corrected over its family.

    ``alpha`` sets both the CI level (1 − alpha) and the verdict threshold on corrected
    p-values; ``accuracy_test`` picks the McNemar variant ("exact", "midp", "chi2") that
    enters the correction. Each finished cell is reported as a ``CellUpdated`` event (uncorrected values) and
    the cancel token is polled between cells.
    """
    frame = pair_runs(items, before_answers, after_answers)
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
    for attribute in table.attributes:
        row = Row(attribute, attribute in table.target)
        for context in COLUMNS:
            check_cancel(cancel)
            cell = compare_cell(
                frame,
                attribute,
                context,
                accuracy_test=accuracy_test,
                alpha=alpha,
                n_boot=n_boot,
                seed=seed,
            )
            row = row.with_cell(cell)
            if reporter is not None:
                reporter(CellUpdated(attribute, context, cell.to_dict()))
        table = table.with_row(row)
    check_cancel(cancel)
    return replace(
        table,
        gaps=compare_gaps(
            items,
            frame,
            table.attributes,
            correction=correction,
            alpha=alpha,
            n_boot=n_boot,
            seed=seed,
        ),
    )
