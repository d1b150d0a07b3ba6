"""Typed links of an audit record: replicate and format-transfer runs are the audit's
runs too, so deleting the audit takes them along unless another audit links them."""

from __future__ import annotations

import pytest

from auditor.core.answers import Answer
from auditor.store.db import Store
from auditor.store.records import ReplicateLink, RunLink, outcome


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "runs.sqlite") as s:
        yield s


def _run(store, key, items=()):
    run = store.create_or_get_run("eval", key)
    if items:
        store.add_answers(run, items, [Answer(i.id, 0) for i in items])
    return run


def test_links_name_every_run_of_a_replicated_audit_with_formats(store):
    base, cloze_base = _run(store, "base"), _run(store, "cloze-base")
    reps = {
        s: ReplicateLink(
            s,
            store.create_or_get_run("train", f"train-{s}"),
            _run(store, f"aligned-{s}"),
            f"a{s}",
            {"cloze": _run(store, f"cloze-{s}")},
        )
        for s in (0, 1)
    }
    audit = store.create_or_get_audit("k", {})
    store.update_audit(
        audit,
        baseline_run=base,
        train_run=reps[0].train_run,
        aligned_run=reps[0].aligned_run,
        record=outcome(
            transfer_runs={"cloze": {"baseline": cloze_base}},
            replicates={str(s): r.to_json() for s, r in reps.items()},
        ),
    )
    links = store.audit(audit).links()
    assert links[:3] == (
        RunLink("baseline", base),
        RunLink("train", reps[0].train_run),
        RunLink("aligned", reps[0].aligned_run),
    )
    assert RunLink("baseline", cloze_base, None, "cloze") in links
    assert RunLink("aligned", reps[1].transfer["cloze"], 1, "cloze") in links
    assert RunLink("train", reps[1].train_run, 1) in links
    assert len({link.run_id for link in links}) == len(links) == 8  # each run once


def test_delete_follows_replicate_and_transfer_links(store, few_items):
    shared = _run(store, "base", few_items)
    reps = {
        s: ReplicateLink(
            s,
            store.create_or_get_run("train", f"train-{s}"),
            _run(store, f"aligned-{s}", few_items),
            f"a{s}",
            {"cloze": _run(store, f"cloze-{s}")},
        )
        for s in (0, 1)
    }
    cloze_base = _run(store, "cloze-base")
    first = store.create_or_get_audit("one", {})
    store.update_audit(
        first,
        baseline_run=shared,
        train_run=reps[0].train_run,
        aligned_run=reps[0].aligned_run,
        record=outcome(
            transfer_runs={"cloze": {"baseline": cloze_base}},
            replicates={str(s): r.to_json() for s, r in reps.items()},
        ),
    )
    # another audit links seed 1's aligned run through its own replicate record
    second = store.create_or_get_audit("two", {})
    store.update_audit(
        second,
        baseline_run=shared,
        record=outcome(replicates={"1": ReplicateLink(1, "", reps[1].aligned_run).to_json()}),
    )

    deleted = store.delete_audit(first)
    kept = {shared, reps[1].aligned_run}
    assert set(deleted) == {
        reps[0].train_run,
        reps[0].aligned_run,
        reps[1].train_run,
        reps[0].transfer["cloze"],
        reps[1].transfer["cloze"],
        cloze_base,
    }
    assert {r.id for r in store.runs()} == kept
    assert len(store.answers(reps[1].aligned_run)) == len(few_items)
    assert set(store.delete_audit(second)) == kept
    assert store.runs() == []


def test_a_replicate_link_keeps_its_stored_form():
    stored = {"seed": 2, "train_run": "t", "aligned_run": "a", "adapter_dir": "d"}
    link = ReplicateLink.from_json(stored)
    assert link.to_json() == stored  # records written before the typed links read back as they were
    assert ReplicateLink.from_json({**stored, "transfer": {"cloze": "c"}}).transfer == {
        "cloze": "c"
    }
