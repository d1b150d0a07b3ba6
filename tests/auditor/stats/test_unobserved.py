"""The interval of a cell where no item changed: scipy's exact binomial bound, a brute-force
check of the reachable range, and its coverage in a simulation with known truth."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from scipy.stats import binomtest

from auditor.core.answers import Answer
from auditor.stats import build_frame, compare_runs
from auditor.stats.bias import bias_score
from auditor.stats.compare import compare_cell
from auditor.stats.gap import compare_gap
from auditor.stats.unobserved import bias_range, discordance_bound, gap_range, movable

Q_TRUE = 0.05  # share of template instances whose answers change in the simulations


@pytest.mark.parametrize("k", [1, 3, 12, 25, 200])
def test_bound_is_clopper_pearson(k):
    exact = binomtest(0, k).proportion_ci(confidence_level=0.95, method="exact").high
    assert discordance_bound(k, 0.05) == pytest.approx(exact, rel=1e-9)


def test_movable_takes_the_largest_instances():
    cluster = np.array([0] * 5 + [1] * 1 + [2] * 2 + list(range(3, 12)))  # 12 instances
    take = int(np.ceil(discordance_bound(12, 0.05) * 12))  # 4 instances
    assert take == 4 and movable(cluster, 0.05) == 5 + 2 + 1 + 1


@pytest.mark.parametrize("ambiguous", [True, False])
def test_range_matches_brute_force(ambiguous):
    """Every way of re-answering up to m of 6 items (categories: biased, anti-biased,
    correct/unknown, other) against the enumeration over counts."""
    rng = random.Random(5)
    for _ in range(5):
        cats = [rng.randrange(4) for _ in range(6)]
        for m in (1, 2, 3):

            def score(c):
                b, a = c.count(0), c.count(1)
                return bias_score(
                    "ambig" if ambiguous else "disambig", b, b + a, c.count(2), len(c)
                )

            base = score(cats)
            if base is None:
                continue
            found = []
            for chosen in itertools.combinations(range(6), m):
                for new in itertools.product(range(4), repeat=m):
                    c = list(cats)
                    for j, v in zip(chosen, new, strict=True):
                        c[j] = v
                    s = score(c)
                    if s is not None:
                        found.append(s - base)
            correct = cats.count(2) if ambiguous else 0
            lo, hi = bias_range(ambiguous, cats.count(0), cats.count(1), correct, 6, m)
            assert (lo, hi) == pytest.approx((min(found), max(found)))


def test_gap_range_matches_brute_force():
    for nb, na, rb, ra, m in [(3, 4, 1, 2, 2), (5, 2, 5, 0, 3), (2, 2, 1, 1, 1)]:
        base = rb / nb - ra / na
        found = [
            (rb + x) / nb - (ra + y) / na - base
            for x in range(-m, m + 1)
            for y in range(-m, m + 1)
            if abs(x) + abs(y) <= m and 0 <= rb + x <= nb and 0 <= ra + y <= na
        ]
        assert gap_range(nb, na, rb, ra, m) == pytest.approx((min(found), max(found)))


def _ambig_cell(make_item, instances=25):
    return [make_item(n, "ambig", template=n // 2) for n in range(2 * instances)]


def test_unchanged_cell_has_an_honest_interval(make_item):
    """50 ambiguous items in 25 instances, answered alike by both runs: not [0, 0]."""
    items = _ambig_cell(make_item)
    by_id = {i.id: i for i in items}
    answers = [Answer(i.id, (0, 0, 1, 2)[n % 4]) for n, i in enumerate(items)]
    table = compare_runs(by_id, answers, answers, target=("Age",), n_boot=200)
    bias = table.cell("Age", "ambig").bias
    assert bias.delta == 0.0 and bias.p == 1.0
    low, high = bias.ci
    assert low < 0 < high and high - low < 1.0
    disambig = [
        make_item(100 + n, "disambig", template=50 + n // 2, label=1 + n % 2) for n in range(50)
    ]
    by_id = {i.id: i for i in disambig}
    same = [Answer(i.id, 1 if n % 3 else 0) for n, i in enumerate(disambig)]
    (gap,) = compare_runs(by_id, same, same, target=("Age",), n_boot=200).gaps
    assert gap.delta == 0.0 and gap.ci[0] < 0 < gap.ci[1]


def _simulate(draws, seed, make_pair, truth, interval):
    """Coverage of ``truth`` by the interval of every draw where nothing changed."""
    rng = random.Random(seed)
    hits = degenerate = 0
    for _ in range(draws):
        before, after, changed = make_pair(rng)
        if changed:
            continue
        degenerate += 1
        low, high = interval(before, after)
        hits += low <= truth <= high
    return hits, degenerate


def test_coverage_of_the_bias_interval(make_item):
    """Ambiguous items answer biased 0.3, anti-biased 0.2, unknown 0.5; a changed instance
    (share Q_TRUE) answers biased after. s_AMB = P(biased) − P(anti) here, so the true Δ
    is 0.9·Q_TRUE; an interval of [0, 0] would never cover it."""
    items = _ambig_cell(make_item)
    by_id = {i.id: i for i in items}

    def pair(rng):
        before = [Answer(i.id, rng.choices((1, 2, 0), (0.3, 0.2, 0.5))[0]) for i in items]
        moved = {t for t in range(25) if rng.random() < Q_TRUE}
        after = [
            Answer(a.item_id, 1 if i.example_id // 2 in moved else a.predicted)
            for a, i in zip(before, items, strict=True)
        ]
        return (
            before,
            after,
            any(a.predicted != b.predicted for a, b in zip(before, after, strict=True)),
        )

    def interval(before, after):
        frame = build_frame(by_id, before, after)
        return compare_cell(frame, "Age", "ambig", n_boot=50).bias.ci

    hits, degenerate = _simulate(120, 1, pair, 0.9 * Q_TRUE, interval)
    assert degenerate >= 15  # 0.95^25 ≈ 28 % of draws change nothing
    assert hits >= 0.95 * degenerate


def test_coverage_of_the_gap_interval(make_item):
    """Biased-correct items right 0.7, anti-biased-correct 0.5; a changed instance answers
    biased after: the true Δgap is 0.3·Q + 0.5·Q = 0.8·Q_TRUE."""
    items = [make_item(n, "disambig", template=n // 2, label=1 + n % 2) for n in range(50)]
    by_id = {i.id: i for i in items}

    def pair(rng):
        before = [
            Answer(i.id, i.label if rng.random() < (0.7 if i.label == 1 else 0.5) else 0)
            for i in items
        ]
        moved = {t for t in range(25) if rng.random() < Q_TRUE}
        after = [
            Answer(a.item_id, 1 if i.example_id // 2 in moved else a.predicted)
            for a, i in zip(before, items, strict=True)
        ]
        changed = any(
            (a.predicted == i.label) != (b.predicted == i.label)
            for a, b, i in zip(before, after, items, strict=True)
        )
        return before, after, changed

    def interval(before, after):
        return compare_gap(by_id, build_frame(by_id, before, after), "Age", n_boot=50).ci

    hits, degenerate = _simulate(120, 2, pair, 0.8 * Q_TRUE, interval)
    assert degenerate >= 15
    assert hits >= 0.95 * degenerate
