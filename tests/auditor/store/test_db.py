"""The run store: deterministic run ids, idempotent batches, schema versioning, logs."""

from __future__ import annotations

import sqlite3

import pytest

from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.store.db import Store, make_id, provenance
from auditor.store.migrations import MIGRATIONS


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "runs.sqlite") as s:
        yield s


def test_run_id_is_deterministic_and_fields_round_trip(store, few_items):
    fields = dict(model="m", mode="letter", settings={"batch_size": 8}, total=3, **provenance())
    run_id = store.create_or_get_run("eval", "key-1", **fields)
    assert run_id == make_id("eval", "key-1")
    # Same key again: same run, original fields kept.
    assert store.create_or_get_run("eval", "key-1", model="other") == run_id
    assert store.create_or_get_run("eval", "key-2") != run_id
    run = store.run(run_id)
    assert run.model == "m" and run.settings == {"batch_size": 8}
    assert run.versions["transformers"].startswith("5.")
    assert run.status == "created" and run.done == 0 and run.record == {}
    assert [r.id for r in store.runs("eval")] == sorted([run_id, make_id("eval", "key-2")])
    assert store.runs("train") == []


def test_unknown_fields_and_missing_runs_are_errors(store):
    with pytest.raises(TypeError):
        store.create_or_get_run("eval", "k", colour="red")
    with pytest.raises(InputError, match="no run"):
        store.run("eval-nope")


def test_update_run_merges_record(store):
    run_id = store.create_or_get_run("eval", "k")
    store.update_run(run_id, status="running", record={"a": 1})
    store.update_run(run_id, record={"b": 2})
    run = store.run(run_id)
    assert run.status == "running" and run.record == {"a": 1, "b": 2}


def test_add_answers_is_idempotent_and_derives_role_and_correctness(store, few_items):
    run_id = store.create_or_get_run("eval", "k")
    items = list(few_items[:4])
    answers = [Answer(it.id, it.label, (0.1, 0.2, 0.3)) for it in items[:2]]
    answers += [
        Answer(items[2].id, None, (), "no idea"),
        Answer(items[3].id, items[3].unknown_index),
    ]
    assert store.add_answers(run_id, items, answers) == 4
    assert store.add_answers(run_id, items[:2], [Answer(it.id, 0) for it in items[:2]]) == 0
    assert store.done_ids(run_id) == {it.id for it in items}
    assert store.answers(run_id) == answers  # first write wins, order kept
    rows = store.answer_rows(run_id)
    assert [r["correct"] for r in rows[:3]] == [1, 1, 0]
    assert rows[2]["role"] is None and rows[3]["role"] == "unknown"
    assert rows[0]["attribute"] == items[0].attribute
    assert rows[0]["context"] == items[0].context_condition
    assert store.run(run_id).done == 4


def test_add_answers_rejects_mismatched_pairs(store, few_items):
    run_id = store.create_or_get_run("eval", "k")
    with pytest.raises(ValueError):
        store.add_answers(run_id, few_items[:2], [Answer(few_items[1].id, 0)] * 2)


def test_schema_is_versioned_and_wal(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as s:
        assert s.schema_version == len(MIGRATIONS)
        assert s._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        s.create_or_get_run("eval", "k")
    with Store(path) as s:  # reopening migrates nothing and keeps data
        assert len(s.runs()) == 1
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(InputError, match="newer"):
        Store(path)


def test_not_a_database_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError, match="bad.sqlite"):
        Store(bad)


def test_train_logs_and_audits(store):
    run_id = store.create_or_get_run("train", "t")
    store.log_train(run_id, 2, {"loss": 0.5})
    store.log_train(run_id, 1, {"loss": 0.7})
    store.log_train(run_id, 2, {"loss": 0.4})  # a resumed step overwrites
    assert store.train_log(run_id) == [{"step": 1, "loss": 0.7}, {"step": 2, "loss": 0.4}]
    audit = store.create_or_get_audit("profile-hash", {"target": "Gender_identity"})
    assert store.create_or_get_audit("profile-hash", {}) == audit
    store.update_audit(audit, status="training", train_run=run_id, record={"x": 1})
    store.update_audit(audit, record={"y": 2})
    row = store.audit(audit)
    assert row.profile == {"target": "Gender_identity"} and row.train_run == run_id
    assert row.status == "training" and row.outcome.extra == {"x": 1, "y": 2}
    assert [a.id for a in store.audits()] == [audit]


def test_deleting_an_audit_keeps_runs_another_audit_uses(store, few_items):
    shared = store.create_or_get_run("eval", "base", total=len(few_items))
    store.add_answers(shared, few_items, [Answer(i.id, 0) for i in few_items])
    own = store.create_or_get_run("eval", "aligned-1")
    train = store.create_or_get_run("train", "train-1")
    store.log_train(train, 1, {"loss": 0.7})
    first = store.create_or_get_audit("one", {"name": "one"})
    store.update_audit(first, baseline_run=shared, train_run=train, aligned_run=own)
    second = store.create_or_get_audit("two", {"name": "two"})
    store.update_audit(second, baseline_run=shared)

    assert store.delete_audit(first) == [train, own]
    assert [a.id for a in store.audits()] == [second]
    assert {r.id for r in store.runs()} == {shared}
    assert len(store.answers(shared)) == len(few_items)
    assert store.train_log(train) == []
    with pytest.raises(InputError, match="no audit"):
        store.delete_audit(first)
    assert store.delete_audit(second) == [shared]
    assert store.runs() == [] and store.answers(shared) == []
