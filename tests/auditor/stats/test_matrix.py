"""The spillover matrix's numbers on synthetic runs of real BBQ-lite items: the audits' Δ
and raw p carried over, one correction family across recipes, and with seed replicates
each seed corrected over its tests across the matrix (checked with statsmodels)."""

from __future__ import annotations

import random

import pytest
from statsmodels.stats.multitest import multipletests

from auditor.core.answers import Answer
from auditor.stats import compare_runs
from auditor.stats.matrix import RecipeTable, build_matrix
from auditor.stats.replicates import compare_replicates
from auditor.stats.table import DEGRADED

ATTRS = ("Age", "Gender_identity", "SES")


@pytest.fixture(scope="module")
def items(lite_items):
    from auditor.bbq import sample

    chosen = sample([i for i in lite_items.values() if i.attribute in ATTRS], n=180, seed=2)
    return {i.id: i for i in chosen}


def _answers(items, rng, *, wrong: str = "", p_right: float = 0.8):
    """Answers that are right with ``p_right``; ``wrong``'s items are answered biased."""
    out = []
    for i in items.values():
        if i.attribute == wrong and i.roles:
            out.append(Answer(i.id, i.roles.biased))
        else:
            out.append(Answer(i.id, i.label if rng.random() < p_right else rng.randrange(3)))
    return out


def _family(tables):
    keys, raw = [], []
    for r, table in enumerate(tables):
        for row in table.rows:
            for cell in row.cells:
                for metric in ("accuracy", "bias"):
                    change = getattr(cell, metric)
                    if change.p is not None:
                        keys.append((r, row.attribute, cell.context, metric))
                        raw.append(change.p)
    return keys, raw


@pytest.mark.parametrize("method", ["holm", "bh"])
def test_one_family_over_every_recipe(items, method):
    rng = random.Random(5)
    base = _answers(items, rng)
    tables = [
        compare_runs(
            items,
            base,
            _answers(items, rng, wrong=w),
            target=(t,),
            attributes=ATTRS,
            correction=method,
            n_boot=200,
        )
        for t, w in (("Age", "SES"), ("SES", "Gender_identity"))
    ]
    recipes = [
        RecipeTable("dpo", ("Age",), "a1", tables[0]),
        RecipeTable("orpo", ("SES",), "a2", tables[1]),
    ]
    matrix = build_matrix(recipes, correction=method, alpha=0.05)
    keys, raw = _family(tables)
    adjusted = dict(
        zip(
            keys,
            multipletests(raw, method={"holm": "holm", "bh": "fdr_bh"}[method])[1],
            strict=True,
        )
    )
    assert matrix.family == len(raw)
    for r, row in enumerate(matrix.rows):
        for cell in row.cells:
            own = tables[r].cell(cell.attribute, cell.context)
            for metric in ("accuracy", "bias"):
                entry = getattr(cell, metric)
                assert (entry.delta, entry.p) == (
                    getattr(own, metric).delta,
                    getattr(own, metric).p,
                )
                if entry.p is not None:
                    assert entry.p_corrected == pytest.approx(
                        adjusted[(r, cell.attribute, cell.context, metric)], rel=1e-12
                    )
    # the degraded attribute (answered biased) is found as spillover in each recipe
    dpo, orpo = matrix.rows
    assert dpo.cell("SES", "ambig").accuracy.verdict == DEGRADED
    assert orpo.cell("Gender_identity", "ambig").accuracy.verdict == DEGRADED
    for row in matrix.rows:
        expected = sum(c.degraded for c in row.cells if not c.targeted)
        assert row.degraded == expected >= 1
        assert not any(c.degraded for c in row.cells if c.targeted)


def test_seeds_are_corrected_across_the_matrix(items):
    rng = random.Random(9)
    base = _answers(items, rng)
    tables = [
        compare_replicates(
            items,
            base,
            {s: _answers(items, rng, wrong=w) for s in (0, 1)},
            target=(t,),
            attributes=ATTRS,
            n_boot=200,
        )
        for t, w in (("Age", "SES"), ("SES", "Age"))
    ]
    matrix = build_matrix(
        [
            RecipeTable("dpo", ("Age",), "a1", tables[0]),
            RecipeTable("dpo", ("SES",), "a2", tables[1]),
        ]
    )
    assert matrix.seeds == (0, 1)
    for seed in (0, 1):
        keys, raw = [], []
        for r, table in enumerate(tables):
            for row in table.rows:
                for cell in row.cells:
                    for metric in ("accuracy", "bias"):
                        s = next(x for x in getattr(cell, metric).seeds if x.seed == seed)
                        if s.p is not None:
                            keys.append((r, row.attribute, cell.context, metric))
                            raw.append(s.p)
        adjusted = dict(zip(keys, multipletests(raw, method="holm")[1], strict=True))
        for r, row in enumerate(matrix.rows):
            for cell in row.cells:
                for metric in ("accuracy", "bias"):
                    entry = getattr(cell, metric)
                    s = next(x for x in entry.seeds if x.seed == seed)
                    if s.p is not None:
                        assert s.p_corrected == pytest.approx(
                            adjusted[(r, cell.attribute, cell.context, metric)], rel=1e-12
                        )
    for row in matrix.rows:
        for cell in row.cells:
            acc = cell.accuracy
            assert acc.agreement == sum(s.verdict == acc.verdict for s in acc.seeds)
    assert matrix.rows[0].cell("SES", "ambig").accuracy.agreement == 2
