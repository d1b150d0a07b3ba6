"""Item drill-down: the BBQ items of a run (or a pair of runs) with roles and answers."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.core.items import Item
from auditor.store.db import Store

SHOWS = ("all", "failing", "flipped", "flipped_to_wrong", "flipped_to_right")


@dataclass(frozen=True)
class ItemRow:
    """One item with the answers of run A (``before``) and, if given, run B (``after``).

    ``status``: "right" / "wrong" for the last run given when correctness did not change,
    "flipped_to_wrong" (A right → B wrong) or "flipped_to_right" (A wrong → B right).
    """

    item: Item
    before: Answer | None
    after: Answer | None
    before_role: str | None
    after_role: str | None
    status: str

    @property
    def flipped(self) -> bool:
        return self.status.startswith("flipped")


def item_rows(
    store: Store,
    items: Mapping[str, Item],
    run_a: str,
    run_b: str | None = None,
    *,
    attribute: str | None = None,
    context: str | None = None,
    show: str = "all",
    only_ids: Collection[str] | None = None,
) -> list[ItemRow]:
    """Rows for the items run A answered (and run B, when given), filtered.

    ``show``: all; failing (wrong in the last run given); flipped (correctness changed
    between A and B); flipped_to_wrong; flipped_to_right. Flips need ``run_b``.
    ``only_ids`` keeps only those items (e.g. the target's held-out items).
    """
    if show not in SHOWS:
        raise InputError(f"unknown filter '{show}': choose one of {', '.join(SHOWS)}")
    if show.startswith("flipped") and run_b is None:
        raise InputError("--flipped needs a second run to compare against (--against RUN)")
    cell = {"attribute": attribute or None, "context": context or None}  # read that cell only
    first = {a.item_id: a for a in store.answers(run_a, **cell)}
    second = {a.item_id: a for a in store.answers(run_b, **cell)} if run_b else None
    ids = sorted(first.keys() & second.keys() if second is not None else first.keys())
    rows = []
    for item_id in ids:
        item = items.get(item_id)
        if item is None:
            continue
        if attribute and item.attribute != attribute:
            continue
        if context and item.context_condition != context:
            continue
        if only_ids is not None and item_id not in only_ids:
            continue
        row = _row(item, first[item_id], second.get(item_id) if second is not None else None)
        if _keep(row, show):
            rows.append(row)
    return rows


def _row(item: Item, a: Answer, b: Answer | None) -> ItemRow:
    right_a = a.correct(item)
    if b is None:
        status = "right" if right_a else "wrong"
    else:
        right_b = b.correct(item)
        status = (
            "flipped_to_wrong"
            if right_a and not right_b
            else "flipped_to_right"
            if right_b and not right_a
            else "right"
            if right_b
            else "wrong"
        )
    return ItemRow(item, a, b, a.role(item), b.role(item) if b else None, status)


def _keep(row: ItemRow, show: str) -> bool:
    if show == "all":
        return True
    if show == "failing":
        return row.status in ("wrong", "flipped_to_wrong")
    if show == "flipped":
        return row.flipped
    return row.status == show


def row_to_dict(row: ItemRow) -> dict[str, Any]:
    """JSON-ready form of a row (what `spillover items --format json` prints)."""
    item = row.item

    def answer(ans: Answer | None, role: str | None) -> dict[str, Any] | None:
        if ans is None:
            return None
        return {
            "predicted": ans.predicted,
            "letter": "ABC"[ans.predicted] if ans.predicted is not None else None,
            "role": role,
            "correct": ans.correct(item),
            "scores": list(ans.scores),
            "text": ans.text,
        }

    return {
        "id": item.id,
        "attribute": item.attribute,
        "context_condition": item.context_condition,
        "polarity": item.polarity,
        "question_index": item.question_index,
        "subcategory": item.subcategory,
        "context": item.context,
        "question": item.question,
        "options": [
            {"letter": "ABC"[i], "text": o.text, "group": o.group, "role": item.role_of(i)}
            for i, o in enumerate(item.options)
        ],
        "label": item.label,
        "status": row.status,
        "before": answer(row.before, row.before_role),
        "after": answer(row.after, row.after_role),
    }
