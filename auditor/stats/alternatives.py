"""What the table would say under other choices: the accuracy test (McNemar or the cluster
test, ``stats.clustered``) and the bias-score convention (BBQ, lm-eval, HELM,
``stats.conventions``), attached to a finished table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from auditor.core.answers import Answer
from auditor.core.items import Item
from auditor.stats.clustered import AccuracyTests, check_test, seed_tests, with_accuracy_test
from auditor.stats.conventions import compare_conventions
from auditor.stats.frame import build_frame
from auditor.stats.table import SpilloverTable, corrected


def with_alternatives(
    table: SpilloverTable,
    items: Mapping[str, Item],
    before: Sequence[Answer],
    after: Sequence[Answer] | Mapping[int, Sequence[Answer]],
    accuracy_test: str = "mcnemar",
) -> SpilloverTable:
    """``table`` (computed from these answers) with both accuracy tests compared, the
    chosen one's p-values in its cells, and every bias cell under each convention.

    With seed replicates (``after`` maps seeds to answers) the pooled accuracy test is
    already the cluster sign-flip test; each seed's own McNemar test is compared with the
    cluster test on that seed, and "cluster" puts the latter in the seeds' results.
    """
    if isinstance(after, Mapping):
        frames = {seed: build_frame(items, before, answers) for seed, answers in after.items()}
        check_test(accuracy_test)
        tests = seed_tests(table, frames)
        table = replace(table, clustering=tests)
        if accuracy_test == "cluster":
            table = _seeds_clustered(table, tests)
        frame = build_frame(items, before, *after.values())
    else:
        frame = build_frame(items, before, after)
        table = with_accuracy_test(table, frame, accuracy_test)
    return replace(table, conventions=compare_conventions(table, frame))


def _seeds_clustered(table: SpilloverTable, tests: tuple[AccuracyTests, ...]) -> SpilloverTable:
    """The pooled table with each seed's own accuracy p from the cluster test (the pooled
    p already is one)."""
    by = {(t.seed, t.attribute, t.context): t.p_cluster for t in tests}
    rows = []
    for row in table.rows:
        cells = []
        for c in row.cells:
            seeds = tuple(
                replace(s, p=by.get((s.seed, row.attribute, c.context), s.p))
                for s in c.accuracy.seeds
            )
            cells.append(replace(c, accuracy=replace(c.accuracy, seeds=seeds)))
        rows.append(replace(row, cells=tuple(cells)))
    return corrected(replace(table, rows=tuple(rows), accuracy_test="cluster"))
