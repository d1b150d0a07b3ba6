"""The bias-aligned accuracy gap: hand-worked counts, a naive per-instance bootstrap, and
old tables without gaps."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.core.answers import Answer
from auditor.stats import compare_runs
from auditor.stats.gap import compare_gap
from auditor.stats.table import SpilloverTable


def test_hand_worked_gap(make_item):
    # 8 disambiguated Age items, two per template instance: label 1 (biased) or 2 (anti)
    items = [
        make_item(n, "disambig", template=n // 2, label=1 if n % 2 == 0 else 2) for n in range(8)
    ]
    items += [make_item(n, "ambig", template=n // 2) for n in range(8, 12)]  # never counted
    by_id = {i.id: i for i in items}
    # before: every biased-correct item right, 2 of the 4 anti-biased-correct ones
    before = [Answer(i.id, i.label if i.label == 1 or i.example_id in (1, 3) else 1) for i in items]
    # after: 3 of 4 right in both groups
    after = [Answer(i.id, i.label if i.example_id not in (0, 1) else 0) for i in items]
    table = compare_runs(by_id, before, after, target=("Age",), n_boot=500)
    (gap,) = table.gaps
    assert (gap.n_biased, gap.n_anti_biased) == (4, 4)
    assert gap.accuracy_biased == (1.0, 0.75) and gap.accuracy_anti_biased == (0.5, 0.75)
    assert gap.before == 0.5 and gap.after == 0.0 and gap.delta == -0.5
    assert gap.n_clusters == 4 and gap.ci[0] <= -0.5 <= gap.ci[1]
    assert gap.p_corrected == gap.p  # a family of one
    again = SpilloverTable.from_dict(table.to_dict())
    assert again == table


def test_undefined_without_both_kinds_of_item(make_item):
    items = {i.id: i for i in (make_item(n, "disambig", label=1) for n in range(4))}
    answers = [Answer(i, 1) for i in items]
    (gap,) = compare_runs(items, answers, answers, target=("Age",), n_boot=100).gaps
    assert gap.delta is None and gap.p is None and "anti-biased" in gap.reason


def test_bootstrap_matches_naive_instance_resampling(lite_items):
    """Answers correlated within a template instance; ours vs drawing instances by hand."""
    rng = np.random.default_rng(3)
    skill: dict[str, tuple[float, float]] = {}

    def answer(item, run):
        p = skill.setdefault(item.template, tuple(rng.uniform(0.2, 0.9, 2)))[run]
        return Answer(item.id, item.label if rng.random() < p else item.unknown_index)

    before = [answer(i, 0) for i in lite_items.values()]
    after = [answer(i, 1) for i in lite_items.values()]
    from auditor.stats.frame import build_frame
    from auditor.stats.gap import correct_roles

    frame = build_frame(lite_items, before, after)
    roles = correct_roles(lite_items, frame)
    gap = compare_gap(lite_items, frame, "Religion", n_boot=4000, seed=1)

    mask = frame.mask("Religion", "disambig") & (roles > 0)
    clusters = frame.cluster[mask]
    units = [np.flatnonzero(mask)[clusters == c] for c in np.unique(clusters)]
    draws = np.random.default_rng(9).integers(0, len(units), size=(4000, len(units)))

    def gap_of(idx, run):
        right, role = frame.correct[run, idx], roles[idx]
        return right[role == 1].mean() - right[role == 2].mean()

    naive = []
    for row in draws:
        idx = np.concatenate([units[k] for k in row])
        with np.errstate(invalid="ignore"):
            naive.append(gap_of(idx, 1) - gap_of(idx, 0))
    naive = np.array(naive)
    naive = naive[~np.isnan(naive)]
    everything = np.flatnonzero(mask)
    assert gap.delta == pytest.approx(gap_of(everything, 1) - gap_of(everything, 0))
    assert gap.se == pytest.approx(np.std(naive, ddof=1), rel=0.08)
    low, high = np.quantile(naive, [0.025, 0.975])
    assert gap.ci[0] == pytest.approx(low, abs=0.03) and gap.ci[1] == pytest.approx(high, abs=0.03)


def test_a_stored_version_1_table_reads_back_without_gaps(make_item):
    items = {i.id: i for i in (make_item(n, "disambig", label=1 + n % 2) for n in range(8))}
    answers = [Answer(i, 1) for i in items]
    data = compare_runs(items, answers, answers, target=("Age",), n_boot=100).to_dict()
    data["schema"] = "spillover.table/1"
    del data["gaps"]
    old = SpilloverTable.from_dict(data)
    assert old.gaps == () and old.rows
