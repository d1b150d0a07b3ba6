"""McNemar against the cluster sign-flip test: the size of each on clustered data with no
effect (simulation with known truth), the exact p, and the table with either test."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.stats import compare_runs
from auditor.stats.clustered import cluster_p, differing, with_accuracy_test
from auditor.stats.frame import Frame, build_frame
from auditor.stats.mcnemar import mcnemar_exact


def _frame(before, after, cluster) -> Frame:
    n = before.size
    zeros = np.zeros(n, dtype=np.int8)
    return Frame(
        ids=tuple(map(str, range(n))),
        attributes=("Age",),
        attribute=zeros,
        context=zeros,
        polarity=zeros,
        cluster=cluster,
        n_clusters=int(cluster.max()) + 1,
        role=np.zeros((2, n), dtype=np.int64),
        correct=np.stack([before, after]),
        unmatched=(0, 0),
    )


def _null_rejections(sims, rng, instances=40, size=4, alpha=0.05):
    """Rejection rates of McNemar and the cluster test when nothing changed on average:
    in each instance the items' answers after alignment lean one way together (base
    right 20 %, aligned 80 %, or the reverse: a fair coin per instance, so the changes
    of one instance's items correlate and the expected Δ is 0)."""
    cluster = np.repeat(np.arange(instances), size)
    mask = np.ones(cluster.size, dtype=bool)
    rejected = np.zeros(2)
    for _ in range(sims):
        low = rng.random(cluster.size) < 0.2
        high = rng.random(cluster.size) < 0.8
        up = np.repeat(rng.random(instances) < 0.5, size)
        before, after = np.where(up, low, high), np.where(up, high, low)
        b, c = int(np.sum(before & ~after)), int(np.sum(~before & after))
        rejected += (
            mcnemar_exact(b, c) < alpha,
            cluster_p(_frame(before, after, cluster), mask)[0] < alpha,
        )
    return rejected / sims


def test_cluster_test_keeps_its_size_where_mcnemar_does_not():
    sims = 1000
    mcnemar_rate, cluster_rate = _null_rejections(sims, np.random.default_rng(24))
    mc_error = 3 * np.sqrt(0.05 * 0.95 / sims)
    assert cluster_rate <= 0.05 + mc_error
    assert mcnemar_rate > 0.05 + mc_error  # McNemar rejects a true null far too often


def test_independent_items_leave_both_tests_calibrated():
    # one item per instance: the cluster test is a sign test on the discordant items
    rng = np.random.default_rng(3)
    rates = _null_rejections(1000, rng, instances=160, size=1)
    assert np.all(np.abs(rates - 0.05) <= 3 * np.sqrt(0.05 * 0.95 / 1000) + 0.01)


def test_cluster_p_equals_full_enumeration_of_signs():
    rng = np.random.default_rng(9)
    cluster = np.repeat(np.arange(10), 4)
    before, after = rng.random(40) < 0.5, rng.random(40) < 0.7
    totals = np.bincount(cluster, weights=after.astype(int) - before.astype(int))
    observed = abs(totals.sum())
    hits = sum(
        abs(np.dot(signs, totals)) >= observed - 1e-9
        for signs in itertools.product((-1, 1), repeat=10)
    )
    p, clusters = cluster_p(_frame(before, after, cluster), np.ones(40, dtype=bool))
    assert clusters == 10
    assert p == pytest.approx(hits / 2**10, abs=1e-12)


def _lockstep(make_item, instances=6):
    """Instances of four Age items that all go wrong → right together."""
    items = {
        it.id: it
        for it in (make_item(n, ("ambig", "disambig")[n % 2]) for n in range(4 * instances))
    }
    before = [Answer(i, 2) for i in items]  # anti-biased: wrong in both contexts
    after = [Answer(i, items[i].label) for i in items]
    return items, before, after


def test_a_table_with_either_test_and_the_cells_where_they_differ(make_item):
    items, before, after = _lockstep(make_item)
    frame = build_frame(items, before, after)
    table = compare_runs(items, before, after, target=("Age",), n_boot=500)
    mc = with_accuracy_test(table, frame, "mcnemar")
    assert mc.rows == table.rows and mc.accuracy_test == "exact"
    ambig = next(t for t in mc.clustering if t.context == "ambig")
    # 12 items right after, none before: McNemar 2^-11; 6 instances all up: 2^-5
    assert ambig.p_mcnemar == pytest.approx(2.0**-11)
    assert ambig.p_cluster == pytest.approx(2.0**-5)
    assert (ambig.verdict_mcnemar, ambig.verdict_cluster) == ("improved", "no significant change")
    assert differing(mc.clustering) == 3  # ambig, disambig and overall
    cl = with_accuracy_test(table, frame, "cluster")
    assert cl.accuracy_test == "cluster" and any("sign-flip" in n for n in cl.notes)
    for t in cl.clustering:
        acc = cl.cell(t.attribute, t.context).accuracy
        assert acc.p == t.p_cluster and acc.p_corrected == t.p_corrected_cluster
        assert acc.verdict == t.verdict_cluster and acc.mde is None
        assert acc.p_exact == table.cell(t.attribute, t.context).accuracy.p_exact
    with pytest.raises(InputError, match="unknown accuracy test 'gee'"):
        with_accuracy_test(table, frame, "gee")
