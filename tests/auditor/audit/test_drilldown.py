"""The drill-down on a study-shaped store: one cell's rows read from the store, not the
whole run's."""

from __future__ import annotations

import pytest

from auditor.audit.drilldown import item_rows
from auditor.audit.history import stored_items
from auditor.store.db import Store


@pytest.mark.parametrize("show", ["all", "failing", "flipped"])
def test_a_cells_rows_come_from_that_cell_alone(study, bbq_lite, monkeypatch, show):
    before, after = study.baseline, study.aligned[0]
    with Store(study.store_path, readonly=True) as store:
        items = stored_items(store, (before, after), str(bbq_lite))
        whole = item_rows(store, items, before, after, show=show)
        n_cell = sum(
            r.item.attribute == "Age" and r.item.context_condition == "ambig"
            for r in item_rows(store, items, before, after)
        )
        fetched = []
        original = Store._query

        def counted(self, sql, args=()):
            rows = original(self, sql, args)
            fetched.append(len(rows))
            return rows

        monkeypatch.setattr(Store, "_query", counted)
        rows = item_rows(store, items, before, after, attribute="Age", context="ambig", show=show)
    cell = [r for r in whole if r.item.attribute == "Age" and r.item.context_condition == "ambig"]
    assert [r.item.id for r in rows] == [r.item.id for r in cell]
    assert [(r.before, r.after, r.status) for r in rows] == [
        (r.before, r.after, r.status) for r in cell
    ]
    assert 0 < n_cell < study.items / 9
    # before: both runs' every answer was read (2 x the run) to show one cell of 18
    assert fetched == [n_cell, n_cell]


def test_a_cells_answers_keep_their_stored_order(study):
    with Store(study.store_path, readonly=True) as store:
        whole = store.answers(study.baseline)
        cell = store.answers(study.baseline, attribute="Religion", context="disambig")
        ids = {r["item_id"] for r in store.answer_rows(study.baseline, context="disambig")}
    assert cell and [a.item_id for a in cell] == [
        a.item_id for a in whole if a.item_id.startswith("Religion:") and a.item_id in ids
    ]
