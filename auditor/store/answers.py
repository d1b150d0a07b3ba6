"""The per-run tables of the store: every answered item of a run, the answers per option
ordering of a rotated run, and a training run's log. A mixin of `Store`, which brings the
connection."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from auditor.core.answers import Answer
from auditor.core.items import Item


class AnswerTables:
    """Methods on the ``answers``, ``order_answers`` and ``train_logs`` tables (mixed into
    `Store`)."""

    if TYPE_CHECKING:  # what `Store` brings
        _lock: threading.RLock
        _db: sqlite3.Connection

        def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _query(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]: ...
        def _touch(self, db: sqlite3.Connection, run_id: str) -> None: ...

    # -- answers --------------------------------------------------------------------
    def add_answers(self, run_id: str, items: Iterable[Item], answers: Iterable[Answer]) -> int:
        """Store one batch in one transaction; items already stored are left as they are.

        Returns how many answers were new.
        """
        pairs = list(zip(items, answers, strict=True))
        for item, answer in pairs:
            if item.id != answer.item_id:
                raise ValueError(f"answer for {answer.item_id} paired with item {item.id}")
        with self._tx() as db:
            added = self._insert_answers(db, run_id, [i for i, _ in pairs], [a for _, a in pairs])
            self._touch(db, run_id)
        return added

    def _insert_answers(
        self, db: sqlite3.Connection, run_id: str, items: Sequence[Item], answers: Sequence[Answer]
    ) -> int:
        seq: int = db.execute(
            "SELECT COALESCE(MAX(seq), -1) + 1 FROM answers WHERE run_id = ?", (run_id,)
        ).fetchone()[0]
        before = db.total_changes
        db.executemany(
            "INSERT OR IGNORE INTO answers (run_id, item_id, seq, attribute, context, "
            "polarity, predicted, role, correct, scores, text) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run_id,
                    item.id,
                    seq + i,
                    item.attribute,
                    item.context_condition,
                    item.polarity,
                    a.predicted,
                    a.role(item),
                    int(a.correct(item)),
                    json.dumps(list(a.scores)),
                    a.text,
                )  # fmt: skip
                for i, (item, a) in enumerate(zip(items, answers, strict=True))
            ],
        )
        return db.total_changes - before

    def done_ids(self, run_id: str) -> set[str]:
        with self._lock:
            rows = self._db.execute("SELECT item_id FROM answers WHERE run_id = ?", (run_id,))
            return {r[0] for r in rows}

    def answers(
        self, run_id: str, *, attribute: str | None = None, context: str | None = None
    ) -> list[Answer]:
        """The run's answers in the order they were stored; with ``attribute`` and/or
        ``context``, those of that cell only (read through the cell index)."""
        return [
            Answer(r["item_id"], r["predicted"], tuple(r["scores"]), r["text"])
            for r in self.answer_rows(run_id, attribute=attribute, context=context)
        ]

    def answer_rows(
        self, run_id: str, *, attribute: str | None = None, context: str | None = None
    ) -> list[dict[str, Any]]:
        """Full answer rows (with attribute, context, polarity, role, correct) to query,
        of one cell when ``attribute`` and/or ``context`` are given."""
        where, args = "run_id = ?", [run_id]
        for column, value in (("attribute", attribute), ("context", context)):
            if value is not None:
                where += f" AND {column} = ?"
                args.append(value)
        return self._query(f"SELECT * FROM answers WHERE {where} ORDER BY seq", tuple(args))

    # -- answers per option ordering (option-order rotation) ------------------------
    def add_order_answers(
        self,
        run_id: str,
        items: Sequence[Item],
        orders: Sequence[str],
        answers: Sequence[Answer],
        *,
        per_item: int,
        aggregate: Callable[[str, dict[str, Answer]], Answer],
    ) -> int:
        """Store one batch of rotated answers (each in the item's own option indices) in
        one transaction, and the aggregated answer of every item of the batch whose
        ``per_item`` orderings are now all stored (``aggregate(item_id, {order: Answer})``).

        Returns how many orderings were new.
        """
        rows = list(zip(items, orders, answers, strict=True))
        for item, _, answer in rows:
            if item.id != answer.item_id:
                raise ValueError(f"answer for {answer.item_id} paired with item {item.id}")
        with self._tx() as db:
            seq: int = db.execute(
                "SELECT COALESCE(MAX(seq), -1) + 1 FROM order_answers WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO order_answers (run_id, item_id, ordering, seq, "
                "predicted, scores, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        item.id,
                        order,
                        seq + i,
                        a.predicted,
                        json.dumps(list(a.scores)),
                        a.text,
                    )
                    for i, (item, order, a) in enumerate(rows)
                ],
            )
            added = db.total_changes - before
            done: list[tuple[Item, Answer]] = []
            for item in {item.id: item for item, _, _ in rows}.values():
                stored = self._orders_of(db, run_id, item.id)
                if len(stored) == per_item:
                    done.append((item, aggregate(item.id, stored)))
            if done:
                self._insert_answers(db, run_id, [i for i, _ in done], [a for _, a in done])
            self._touch(db, run_id)
        return added

    def done_orders(self, run_id: str) -> set[tuple[str, str]]:
        """(item id, ordering) of every stored rotated answer of the run."""
        if not self._has_table("order_answers"):
            return set()
        with self._lock:
            rows = self._db.execute(
                "SELECT item_id, ordering FROM order_answers WHERE run_id = ?", (run_id,)
            )
            return {(r[0], r[1]) for r in rows}

    def order_answers(self, run_id: str) -> dict[str, dict[str, Answer]]:
        """item id → ordering → answer (in the item's own option indices); empty for a run
        scored in one order only."""
        if not self._has_table("order_answers"):
            return {}
        out: dict[str, dict[str, Answer]] = {}
        for r in self._query(
            "SELECT * FROM order_answers WHERE run_id = ? ORDER BY seq", (run_id,)
        ):
            out.setdefault(r["item_id"], {})[r["ordering"]] = Answer(
                r["item_id"], r["predicted"], tuple(r["scores"]), r["text"]
            )
        return out

    def _orders_of(self, db: sqlite3.Connection, run_id: str, item_id: str) -> dict[str, Answer]:
        rows = db.execute(
            "SELECT ordering, predicted, scores, text FROM order_answers "
            "WHERE run_id = ? AND item_id = ? ORDER BY ordering",
            (run_id, item_id),
        ).fetchall()
        return {r[0]: Answer(item_id, r[1], tuple(json.loads(r[2])), r[3]) for r in rows}

    def _has_table(self, name: str) -> bool:
        with self._lock:
            return (
                self._db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
                ).fetchone()
                is not None
            )

    # -- training logs --------------------------------------------------------------
    def log_train(self, run_id: str, step: int, metrics: dict[str, Any]) -> None:
        """Record the metrics of one training step (a later write for the step wins)."""
        from auditor.store import db as store_db  # its clock (tests set it)

        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO train_logs (run_id, step, metrics, created) "
                "VALUES (?, ?, ?, ?)",
                (run_id, step, json.dumps(metrics), store_db._now()),
            )

    def train_log(self, run_id: str) -> list[dict[str, Any]]:
        """[{"step": n, **metrics}, ...] in step order."""
        rows = self._query(
            "SELECT step, metrics FROM train_logs WHERE run_id = ? ORDER BY step", (run_id,)
        )
        return [{"step": r["step"], **r["metrics"]} for r in rows]
