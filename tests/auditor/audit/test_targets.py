"""Several targets: one alignment per attribute against one shared baseline, on the tiny
BPE Llama and real BBQ-lite rows."""

from __future__ import annotations

import pytest

from auditor.align.preferences import select_items
from auditor.align.split import split_items
from auditor.audit.grids import run_recipes, target_profiles
from auditor.audit.pipeline import audit_key, plan_audit
from auditor.audit.profiles import build_profile, load_profile
from auditor.core.errors import InputError
from auditor.core.events import TrainStep
from auditor.store.db import Store

from ..audit_fixtures import write_tiny_profile

TARGETS = ("Gender_identity", "Age")


def run_target_audits(profile, **kwargs):
    """Every target's audit, keyed by its target (the grid of one method)."""
    return {target[0]: r for (_, target), r in run_recipes(profile, **kwargs).items()}


@pytest.fixture(scope="module")
def profile(tmp_path_factory, small_llama_dir, bbq_lite):
    folder = tmp_path_factory.mktemp("targets")
    path = write_tiny_profile(folder, small_llama_dir, bbq_lite)
    return load_profile(str(path), [f"align.targets={list(TARGETS)!r}".replace("'", '"')])


@pytest.fixture(scope="module")
def audits(profile, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("targets-store") / "runs.sqlite")
    events: list = []
    return store, run_target_audits(profile, store=store, reporter=events.append), events


def test_every_target_evaluates_the_same_items_none_of_them_trained_on(profile, lite_items):
    plans = {t: plan_audit(sub) for t, sub in target_profiles(profile).items()}
    first = plans[TARGETS[0]].eval_items
    assert all(plan.eval_items == first for plan in plans.values())
    for t, plan in plans.items():
        kept, _ = select_items(lite_items, (t,), exclude_trans=True)
        expected = split_items(kept, heldout_fraction=0.2, seed=0).heldout_ids
        assert plan.heldout_ids == frozenset(expected)  # each target its own split
        evaluated = [i for i in first if i.attribute == t]
        assert evaluated and all(i.id in plan.heldout_ids for i in evaluated)


def test_one_baseline_one_alignment_per_target(audits, profile, lite_items):
    store, results, events = audits
    assert list(results) == list(TARGETS)
    assert len({r.baseline_run for r in results.values()}) == 1
    assert len({r.train_run for r in results.values()}) == 2
    assert len({r.aligned_run for r in results.values()}) == 2
    assert len(store.runs("eval")) == 3  # the shared baseline + one aligned run per target
    by_id = {i.id: i for i in lite_items}
    baseline_items = {a.item_id for a in store.answers(results[TARGETS[0]].baseline_run)}
    for t, result in results.items():
        assert result.table.target == (t,) and result.table.attributes[0] == t
        record = store.run(result.train_run).record
        assert record["target"] == [t]
        assert {by_id[i].attribute for i in record["train_ids"]} == {t}
        assert not baseline_items & set(record["train_ids"])  # no target trains on them
    assert len([e for e in events if isinstance(e, TrainStep)]) == 2 * 4


def test_rerun_reuses_every_stage_of_every_target(audits, profile):
    store, results, _ = audits
    events: list = []
    again = run_target_audits(profile, store=store, reporter=events.append)
    assert {t: r.audit_id for t, r in again.items()} == {t: r.audit_id for t, r in results.items()}
    assert not [e for e in events if isinstance(e, TrainStep)]


def test_targets_are_validated_and_stay_out_of_single_audit_keys():
    with pytest.raises(InputError, match="'align.targets' has unknown attribute 'Gender'"):
        build_profile({"align": {"targets": ["Gender"]}})
    with pytest.raises(InputError, match="'align.targets' names an attribute twice"):
        build_profile({"align": {"targets": ["Age", "Age"]}})
    with pytest.raises(InputError, match="align.targets is empty"):
        target_profiles(build_profile({}))
    assert '"targets"' not in audit_key(build_profile({}), "sum")


def test_audit_command_prints_every_targets_report_from_the_stored_audits(
    audits, profile, tmp_path
):
    import json

    from click.testing import CliRunner

    from auditor.cli import main

    store, results, _ = audits
    toml = tmp_path / "targets.toml"
    toml.write_text(_as_toml(profile))
    args = ["audit", "--profile", str(toml), "--store", str(store.path)]
    done = CliRunner().invoke(main, [*args, "--format", "json"])
    assert done.exit_code == 0, done.output
    docs = json.loads(done.output[done.output.index("{") :])["targets"]
    assert list(docs) == list(TARGETS)
    for t, doc in docs.items():
        assert doc["subject"]["audit"] == results[t].audit_id and doc["subject"]["target"] == t
        assert doc["table"] == json.loads(json.dumps(results[t].table.to_dict()))
    refused = CliRunner().invoke(main, [*args, "--gate"])
    assert refused.exit_code == 2 and "with align.targets" in refused.output


def _as_toml(profile) -> str:
    """``profile`` written back as TOML (its tables, lists and scalars only)."""
    import json

    lines = [f"name = {json.dumps(profile.name)}"]
    for section, values in profile.to_dict().items():
        if isinstance(values, dict):
            lines.append(f"[{section}]")
            lines += [
                f"{k} = {json.dumps(list(v) if isinstance(v, tuple) else v)}"
                for k, v in values.items()
            ]
    return "\n".join(lines) + "\n"
