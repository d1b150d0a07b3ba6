"""Spillover over training on a tiny real model: a short DPO run saves checkpoints, each is
evaluated and stored, an interrupted trajectory resumes, and a rerun evaluates nothing."""

from __future__ import annotations

import threading

import pytest

from auditor.audit.comparison import compare_stored
from auditor.audit.pipeline import run_audit
from auditor.audit.profiles import load_profile
from auditor.audit.trajectory import stored_trajectory
from auditor.core.events import Cancelled, ItemsScored, StageFinished, StageStarted, TrainStep
from auditor.stats.table import SpilloverTable
from auditor.store.db import Store

from ..audit_fixtures import write_tiny_profile

OVERRIDES = ["align.trajectory=true", "align.max_steps=3", "align.save_steps=1"]


@pytest.fixture(scope="module")
def trajectory_audit(tmp_path_factory, small_llama_dir, bbq_lite):
    """The audit cancelled as its second checkpoint starts, then run again to the end."""
    folder = tmp_path_factory.mktemp("trajectory")
    profile = load_profile(str(write_tiny_profile(folder, small_llama_dir, bbq_lite)), OVERRIDES)
    store = Store(folder / "runs.sqlite")
    cancel, first = threading.Event(), []

    def listen(event):
        first.append(event)
        if isinstance(event, StageStarted) and event.stage == "checkpoint 2":
            cancel.set()

    with pytest.raises(Cancelled):
        run_audit(profile, store=store, reporter=listen, cancel=cancel)
    second = []
    result = run_audit(profile, store=store, reporter=second.append)
    return profile, store, result, first, second


def finished(events, skipped=None):
    return [
        e.stage
        for e in events
        if isinstance(e, StageFinished) and (skipped is None or e.skipped == skipped)
    ]


def test_each_checkpoint_is_evaluated_and_stored(trajectory_audit):
    _, store, result, first, second = trajectory_audit
    assert finished(first) == ["baseline", "align", "aligned", "checkpoint 1"]
    assert finished(second, skipped=True) == ["baseline", "align", "aligned", "checkpoint 1"]
    assert finished(second, skipped=False) == ["checkpoint 2", "compare"]  # resumed, once
    runs = store.audit(result.audit_id).outcome.checkpoint_runs
    assert sorted(runs) == ["1", "2"]
    adapters = {}
    for step, run_id in runs.items():
        run = store.run(run_id)
        assert run.status == "done" and run.adapter.endswith(f"step-{step}")
        assert len(store.answers(run_id)) == result.table.pairing.n_paired
        adapters[step] = (store.run(run_id).adapter, run_id)
    assert len({a for a, _ in adapters.values()} | {result.adapter_dir}) == 3
    links = {link.run_id: link.role for link in store.audit(result.audit_id).links()}
    assert {links[r] for _, r in adapters.values()} == {"checkpoint"}


def test_checkpoint_weights_differ_step_to_step(trajectory_audit):
    from safetensors.torch import load_file

    _, store, result, _, _ = trajectory_audit
    runs = store.audit(result.audit_id).outcome.checkpoint_runs
    weights = [load_file(f"{store.run(runs[s]).adapter}/adapter_model.safetensors") for s in "12"]
    weights.append(load_file(f"{result.adapter_dir}/adapter_model.safetensors"))
    for a, b in zip(weights, weights[1:], strict=False):
        assert a.keys() == b.keys()
        assert any(not a[k].equal(b[k]) for k in a)  # each step trained on
    last = result_adapter_step(result, 3)  # the trainer's save at the last step: the adapter
    assert last.keys() == weights[-1].keys() and all(last[k].equal(weights[-1][k]) for k in last)


def result_adapter_step(result, step: int):
    from pathlib import Path

    from safetensors.torch import load_file

    return load_file(
        Path(result.adapter_dir).parent / "steps" / f"step-{step}" / "adapter_model.safetensors"
    )


def test_the_trajectory_ends_at_the_final_adapter(trajectory_audit, bbq_lite):
    profile, store, result, _, _ = trajectory_audit
    assert result.trajectory["final_step"] == 3
    assert [p["step"] for p in result.trajectory["points"]] == [1, 2]
    traj = stored_trajectory(result)
    assert traj.steps == (1, 2, 3) and traj.final_step == 3
    point = result.trajectory["points"][0]
    again = compare_stored(  # the stored point is the two runs' own comparison
        store, result.baseline_run, point["run"], bbq=str(bbq_lite), n_boot=profile.stats.n_boot
    ).table
    assert again.to_dict() == SpilloverTable.from_dict(point["table"]).to_dict()
    tables = {1: again, 3: result.table}
    for path in traj.cells:
        for step, table in tables.items():
            change = getattr(table.cell(path.attribute, path.context), path.metric)
            point = next(p for p in path.points if p.step == step)
            assert (point.delta, point.verdict) == (change.delta, change.verdict)
        degraded = [p.step for p in path.points if p.verdict == "degraded"]
        assert path.first_degraded == (degraded[0] if degraded else None)


def test_a_rerun_evaluates_nothing(trajectory_audit):
    profile, store, result, _, _ = trajectory_audit
    events = []
    again = run_audit(profile, store=store, reporter=events.append)
    assert not [e for e in events if isinstance(e, (ItemsScored, TrainStep))]
    assert set(finished(events, skipped=True)) == {
        "baseline",
        "align",
        "aligned",
        "checkpoint 1",
        "checkpoint 2",
    }
    assert again.trajectory == result.trajectory
