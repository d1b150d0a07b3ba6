"""The one comparison path attaches the accuracy tests' comparison and the conventions."""

from __future__ import annotations

import random

import pytest

from auditor.audit.comparison import compare
from auditor.core.answers import Answer
from auditor.core.errors import InputError


@pytest.fixture(scope="module")
def items(bbq_lite):
    from auditor.bbq import load_bbq

    everything = load_bbq(bbq_lite).by_id()
    keep = ("Age", "Gender_identity", "Religion")
    return {k: v for k, v in everything.items() if v.attribute in keep}


def _answers(items, seed):
    rng = random.Random(seed)
    return [Answer(i, rng.randrange(3)) for i in items]


def test_a_single_run_gets_both_tests_and_every_convention(items):
    before, after = _answers(items, 0), _answers(items, 1)
    kw = dict(target=("Gender_identity",), attributes=("Age", "Religion"), n_boot=300)
    mc = compare(items, before, after, **kw).table
    cl = compare(items, before, after, accuracy_test="cluster", **kw).table
    assert mc.accuracy_test == "exact" and cl.accuracy_test == "cluster"
    assert len(mc.clustering) == 9 and len(mc.conventions) == 6
    assert [t.p_cluster for t in mc.clustering] == [t.p_cluster for t in cl.clustering]
    assert [c.accuracy.p for r in cl.rows for c in r.cells] == [t.p_cluster for t in cl.clustering]
    assert {c.changes[0].convention for c in mc.conventions} == {"bbq"}


def test_seed_replicates_compare_each_seeds_own_tests(items):
    before = _answers(items, 0)
    seeds = {0: _answers(items, 1), 1: _answers(items, 2)}
    kw = dict(target=("Gender_identity",), attributes=("Age",), n_boot=300)
    table = compare(items, before, seeds, **kw).table
    assert {t.seed for t in table.clustering} == {0, 1}
    for t in table.clustering:  # McNemar's side is the seed's own result, as corrected there
        own = next(s for s in table.cell(t.attribute, t.context).accuracy.seeds if s.seed == t.seed)
        assert (t.p_mcnemar, t.p_corrected_mcnemar, t.verdict_mcnemar) == (
            own.p,
            own.p_corrected,
            own.verdict,
        )
    clustered = compare(items, before, seeds, accuracy_test="cluster", **kw).table
    assert (table.accuracy_test, clustered.accuracy_test) == ("exact", "cluster")
    for t in clustered.clustering:
        own = next(
            s for s in clustered.cell(t.attribute, t.context).accuracy.seeds if s.seed == t.seed
        )
        assert (own.p, own.p_corrected) == (t.p_cluster, t.p_corrected_cluster)
    assert len(table.conventions) == 4


def test_an_unknown_accuracy_test_is_refused(items):
    with pytest.raises(InputError, match="unknown accuracy test"):
        compare(items, [], [], target=("Age",), attributes=(), accuracy_test="t")
