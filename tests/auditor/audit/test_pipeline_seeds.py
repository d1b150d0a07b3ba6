"""A two-seed audit on a tiny real model: one baseline, an adapter and an aligned
evaluation per seed, a pooled table; cancelled during the second seed's training, the
rerun reuses the first seed and resumes the second from its checkpoint."""

from __future__ import annotations

import threading

import pytest

from auditor.audit.gate import evaluate_gate
from auditor.audit.history import load_audit
from auditor.audit.pipeline import audit_key, run_audit
from auditor.audit.profiles import GateSection, load_profile
from auditor.core.errors import InputError
from auditor.core.events import Cancelled, Message, StageFinished, StageStarted, TrainStep
from auditor.reports import render_report
from auditor.reports.document import Report
from auditor.store.db import Store

from ..audit_fixtures import write_tiny_profile


def _cancel_in_second_seed(cancel, events):
    """A reporter that records events and cancels at the second seed's third step (the
    trainer then saves a checkpoint and stops)."""
    state = {"aligns": 0}

    def report(event):
        events.append(event)
        if isinstance(event, StageStarted) and event.stage == "align":
            state["aligns"] += 1
        if isinstance(event, TrainStep) and state["aligns"] == 2 and event.step >= 3:
            cancel.set()

    return report


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, small_llama_dir, bbq_lite):
    folder = tmp_path_factory.mktemp("seeds")
    path = write_tiny_profile(folder, small_llama_dir, bbq_lite)
    # six steps: the cancel at the second seed's third step saves a checkpoint mid-run
    profile = load_profile(str(path), ["align.seeds=[0, 1]", "align.max_steps=6"])
    store = Store(folder / "runs.sqlite")
    cancel, first = threading.Event(), []
    with pytest.raises(Cancelled):
        run_audit(
            profile, store=store, reporter=_cancel_in_second_seed(cancel, first), cancel=cancel
        )
    events = []
    result = run_audit(profile, store=store, reporter=events.append)
    return profile, store, result, first, events


def test_each_seed_trains_and_evaluates_once_against_one_baseline(seeded):
    profile, store, result, _, _ = seeded
    assert result.table.seeds == (0, 1) and result.table.complete
    reps = result.replicates
    assert [r["seed"] for r in reps] == [0, 1]
    assert len({r["train_run"] for r in reps}) == 2 and len({r["aligned_run"] for r in reps}) == 2
    assert result.baseline_run not in {r["aligned_run"] for r in reps}
    for rep in reps:
        assert len(store.answers(rep["aligned_run"])) == 72
        assert [s["step"] for s in store.train_log(rep["train_run"])] == [1, 2, 3, 4, 5, 6]
        # every seed held out the same target items: the audit's split
        assert set(store.run(rep["train_run"]).record["heldout_ids"]) == set(result.heldout_ids)
    assert len(store.runs("eval")) == 3  # the baseline once, one aligned run per seed
    # the seeds trained differently (own LoRA initialisation and data order)
    weights = [
        (store.path.parent / "audits" / result.audit_id / f"alignment-seed{s}") for s in (0, 1)
    ]
    files = [sorted(w.rglob("adapter_model.safetensors")) for w in weights]
    assert files[0] and files[1] and files[0][0].read_bytes() != files[1][0].read_bytes()


def test_cancel_in_the_second_seed_then_rerun_reuses_the_first(seeded):
    _, _, _, first, events = seeded
    assert sum(isinstance(e, StageFinished) and e.stage == "align" for e in first) == 1
    finished = [(e.stage, e.skipped) for e in events if isinstance(e, StageFinished)]
    assert finished == [
        ("baseline", True),
        ("align", True),
        ("aligned", True),
        ("align", False),
        ("aligned", False),
        ("compare", False),
    ]
    starts = [i for i, e in enumerate(first) if isinstance(e, StageStarted) and e.stage == "align"]
    assert len(starts) == 2
    stopped = max(e.step for e in first[starts[1] :] if isinstance(e, TrainStep))
    steps = [e.step for e in events if isinstance(e, TrainStep)]
    assert 3 <= stopped < 6 and steps == list(range(stopped + 1, 7))  # resumed, not redone
    assert any(
        isinstance(e, Message) and f"resuming from checkpoint-{stopped}" in e.text for e in events
    )


def test_pooled_table_cells_hold_every_seed(seeded):
    _, store, result, _, _ = seeded
    for row in result.table.rows:
        for cell in row.cells:
            acc = cell.accuracy
            assert [s.seed for s in acc.seeds] == [0, 1]
            assert acc.delta == pytest.approx(sum(s.delta for s in acc.seeds) / 2)
            assert acc.agreement is not None
            # below 11 items no split reaches p < 0.05 / 45: nothing is detectable
            assert (acc.mde is None) == (acc.n < 11)
    loaded = load_audit(store, result.audit_id)
    assert loaded.replicates == result.replicates
    assert loaded.table.to_dict() == result.table.to_dict()
    gate = evaluate_gate(result.table, GateSection(min_paired=1, min_cell=1))
    assert gate.settings["min_seed_agreement"] == 0
    text = render_report(Report(result.table, {}, gate), "markdown")
    assert "### Seed replicates" in text


def test_single_seed_audits_keep_their_ids(small_llama_dir, bbq_lite, tmp_path):
    path = write_tiny_profile(tmp_path, small_llama_dir, bbq_lite)
    plain = load_profile(str(path))
    assert "seeds" not in audit_key(plain, "x")
    assert audit_key(load_profile(str(path), ["align.seeds=[0, 1]"]), "x") != audit_key(plain, "x")
    with pytest.raises(InputError, match="seeds"):
        load_profile(str(path), ["align.seeds=[1, 1]"])
    with pytest.raises(InputError, match="seeds"):
        load_profile(str(path), ["align.seeds=['a']"])
