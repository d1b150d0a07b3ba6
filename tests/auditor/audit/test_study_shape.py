"""A study-shaped stored audit (`tests/fixtures/study_store.py`, reduced to 360 items):
its record links every run as the runner's does, reads back finished with its seeds,
rotation and transfer, and its table finds the planted effect, checked item by item."""

from __future__ import annotations

import pytest

from auditor.audit.history import load_audit
from auditor.core.items import ATTRIBUTES
from auditor.store.db import Store
from tests.fixtures.study_store import EFFECT_CELL, SEEDS, TARGET

from .conftest import STUDY_ITEMS as ITEMS


def test_the_study_store_links_every_run_like_a_real_audit(study):
    with Store(study.store_path, readonly=True) as store:
        record = store.audit(study.audit_id)
        result = load_audit(store, study.audit_id)
        links = record.links()
        assert record.status == "done" and record.outcome.eval_items == study.items == ITEMS
        # the run columns name the first seed's runs, so their links come first
        shown = sorted((k.role, -1 if k.seed is None else k.seed, k.format) for k in links)
        assert shown == sorted(
            [
                ("baseline", -1, ""),
                ("baseline", -1, "cloze"),
                ("train", -1, ""),
                ("aligned", -1, ""),
            ]
            + [(role, s, "") for s in SEEDS[1:] for role in ("train", "aligned")]
            + [("aligned", s, "cloze") for s in SEEDS]
        )
        for link in links:
            run = store.run(link.run_id)
            assert run.status == "done"
            if run.kind == "eval":
                assert run.done == ITEMS and run.mode == (link.format or "letter")
                if not link.format:  # rotated: every item in its 3 option orders
                    orders = store.order_answers(link.run_id)
                    assert len(orders) == ITEMS and {len(v) for v in orders.values()} == {3}
    assert result.table.seeds == SEEDS
    assert [r["seed"] for r in result.replicates] == list(SEEDS)
    assert all(r.get("rotation") for r in result.replicates)
    assert result.rotation["orders"] == "cyclic" and set(result.rotation["seeds"]) == {"0", "1"}
    assert result.transfer is not None and result.transfer_format == "cloze"
    assert [row.attribute for row in result.table.rows][0] == TARGET
    assert {row.attribute for row in result.table.rows} == set(ATTRIBUTES)


def _accuracy(answers, items, ids) -> float:
    return sum(answers[i].predicted == items[i].label for i in ids) / len(ids)


def test_each_seeds_change_matches_a_naive_count_and_the_planted_cell_drops_most(study, bbq_lite):
    from auditor.audit.history import stored_items

    with Store(study.store_path, readonly=True) as store:
        result = load_audit(store, study.audit_id)
        items = stored_items(store, [study.baseline], str(bbq_lite))
        before = {a.item_id: a for a in store.answers(study.baseline)}
        after = {s: {a.item_id: a for a in store.answers(r)} for s, r in study.aligned.items()}
    pooled = {}
    for row in result.table.rows:
        if row.is_target:
            continue
        for context in ("ambig", "disambig"):
            cell = row.cell(context)
            ids = [
                i
                for i in before
                if items[i].attribute == row.attribute and items[i].context_condition == context
            ]
            for seed_result in cell.accuracy.seeds:
                naive = _accuracy(after[seed_result.seed], items, ids) - _accuracy(
                    before, items, ids
                )
                assert seed_result.delta == pytest.approx(naive, abs=1e-12)
            pooled[(row.attribute, context)] = cell.accuracy.delta
    assert min(pooled, key=pooled.get) == EFFECT_CELL
    assert pooled[EFFECT_CELL] < -0.15
