"""Every axis composes: two seeds with option-order rotation and the cloze format transfer
on a tiny real model and real BBQ-lite rows, run by the one runner from its plan, then
rerun from the store without evaluating or training anything."""

from __future__ import annotations

import json

import pytest

from auditor.audit.history import load_audit
from auditor.audit.pipeline import run_audit
from auditor.audit.plan import audit_plan
from auditor.audit.profiles import load_profile
from auditor.core.events import PlanAnnounced, StageFinished, StageKey, StageStarted
from auditor.stats.position import compare_rotation
from auditor.stats.replicates import compare_replicates
from auditor.store.db import Store

from ..audit_fixtures import write_tiny_profile

AXES = ["align.seeds=[0, 1]", 'eval.orders="cyclic"', 'eval.transfer=["cloze"]']


@pytest.fixture(scope="module")
def composed(tmp_path_factory, small_llama_dir, bbq_lite):
    folder = tmp_path_factory.mktemp("composed")
    profile = load_profile(str(write_tiny_profile(folder, small_llama_dir, bbq_lite)), AXES)
    store = Store(folder / "runs.sqlite")
    first: list = []
    result = run_audit(profile, store=store, reporter=first.append)
    again: list = []
    rerun = run_audit(profile, store=store, reporter=again.append)
    return profile, store, result, first, rerun, again


def test_the_plan_is_announced_first_and_every_stage_names_itself(composed):
    profile, _, _, events, _, _ = composed
    plan = audit_plan(profile)
    assert events[0] == plan.announce()
    assert isinstance(events[0], PlanAnnounced) and events[0].seeds == (0, 1)
    started = [e.key for e in events if isinstance(e, StageStarted)]
    finished = [e.key for e in events if isinstance(e, StageFinished)]
    assert started == finished == list(plan.stages)
    recipe = plan.recipe
    assert [k for k in started if k.format == "cloze"] == [
        StageKey("baseline", recipe, None, "cloze"),
        StageKey("aligned", recipe, 0, "cloze"),
        StageKey("aligned", recipe, 1, "cloze"),
    ]


def test_seeds_with_transfer_pool_the_untrained_format(composed, lite_items):
    profile, store, result, _, _, _ = composed
    links = store.audit(result.audit_id).outcome.replicate_links()
    assert [link.seed for link in links] == [0, 1]
    cloze = {link.seed: link.transfer["cloze"] for link in links}
    assert len(set(cloze.values())) == 2
    for link in links:  # each seed's cloze run scored that seed's adapter
        assert store.run(cloze[link.seed]).mode == "cloze"
        assert store.run(cloze[link.seed]).adapter == store.run(link.aligned_run).adapter
    base = result.transfer_runs["baseline"]
    assert store.run(base).mode == "cloze" and store.run(base).adapter is None
    # an independent computation: the pooled replicate comparison of the stored answers
    items = {i.id: i for i in lite_items}
    held, target = result.heldout_ids, tuple(profile.align.target)

    def on_table(answers):
        return [a for a in answers if items[a.item_id].attribute not in target or a.item_id in held]

    s = profile.stats
    expected = compare_replicates(
        items,
        on_table(store.answers(base)),
        {seed: on_table(store.answers(run)) for seed, run in cloze.items()},
        target=target,
        attributes=result.transfer.attributes,
        correction=s.correction,
        alpha=s.alpha,
        n_boot=s.n_boot,
        seed=s.seed,
    )
    assert result.transfer.seeds == (0, 1)
    extras = ("clustering", "conventions")  # what audit.comparison adds beside the table

    def table(t):
        return {k: v for k, v in t.to_dict().items() if k not in extras}

    assert table(result.transfer) == table(expected)
    assert result.transfer.clustering and result.transfer.conventions


def test_seeds_with_rotation_report_each_seeds_position_bias(composed, lite_items):
    profile, store, result, _, _, _ = composed
    items = {i.id: i for i in lite_items}
    rotation = result.rotation
    assert rotation["orders"] == "cyclic" and set(rotation["seeds"]) == {"0", "1"}
    held, target = result.heldout_ids, set(profile.align.target)

    def on_table(run):
        return {
            i: v
            for i, v in store.order_answers(run).items()
            if items[i].attribute not in target or i in held
        }

    s = profile.stats
    for link in store.audit(result.audit_id).outcome.replicate_links():
        expected = json.loads(
            json.dumps(
                compare_rotation(
                    items,
                    on_table(result.baseline_run),
                    on_table(link.aligned_run),
                    orders="cyclic",
                    alpha=s.alpha,
                    n_boot=s.n_boot,
                    seed=s.seed,
                ).to_dict()
            )
        )  # as stored (JSON)
        assert link.rotation == expected
        assert json.loads(json.dumps(rotation["seeds"][str(link.seed)])) == expected
        assert expected["position_after"]["n"] == 3 * result.table.pairing.n_paired


def test_the_rerun_reuses_every_stage_and_reads_the_same_result(composed):
    _, store, result, _, rerun, again = composed
    finished = [e for e in again if isinstance(e, StageFinished)]
    assert all(e.skipped for e in finished if e.stage != "compare")
    assert len(store.runs("eval")) == 6  # baseline ×2 formats, aligned ×2 seeds ×2 formats
    assert len(store.runs("train")) == 2
    assert rerun.table.to_dict() == result.table.to_dict()
    stored = load_audit(store, result.audit_id)
    assert stored.rotation == result.rotation
    assert stored.transfer.to_dict() == result.transfer.to_dict()
    assert stored.replicates == result.replicates


def test_deleting_the_audit_leaves_no_orphan_run(composed, tmp_path):
    import sqlite3

    _, store, result, _, _, _ = composed
    copy = tmp_path / "runs.sqlite"
    with sqlite3.connect(store.path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with Store(copy) as other:
        deleted = other.delete_audit(result.audit_id)
        assert len(deleted) == 8 and other.runs() == [] and other.audits() == []
