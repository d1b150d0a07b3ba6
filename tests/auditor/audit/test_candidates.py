"""Candidate audits: a model and a LoRA adapter trained elsewhere, each audited against the
base on the same real BBQ-lite items by the one runner, with rotation and the cloze
transfer; a rerun reads every stage back from the store."""

from __future__ import annotations

import pytest

from auditor.audit.candidates import CAVEAT, candidates_of
from auditor.audit.pipeline import run_candidates
from auditor.audit.plan import audit_plan
from auditor.audit.profiles import load_profile
from auditor.audit.selection import audit_key, plan_audit
from auditor.core.events import StageFinished, StageKey, StageStarted
from auditor.stats import compare_runs
from auditor.store.db import Store

from ..audit_fixtures import write_tiny_profile
from ..helpers import make_tiny_llama

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)

AXES = ['eval.orders="cyclic"', 'eval.transfer=["cloze"]', 'candidate.target=["Age"]']


def save_adapter(model_dir, out, seed: int = 0):
    """A real LoRA adapter saved by peft on ``model_dir``, with non-zero B weights drawn
    with ``seed``."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    peft = get_peft_model(
        AutoModelForCausalLM.from_pretrained(model_dir),
        LoraConfig(r=4, target_modules=["q_proj", "v_proj"]),
    )
    torch.manual_seed(seed)
    for name, param in peft.named_parameters():
        if "lora_B" in name:
            param.data.normal_(std=0.5)
    peft.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def made(tmp_path_factory, small_llama_dir, bbq_lite):
    folder = tmp_path_factory.mktemp("candidates")
    other = make_tiny_llama(folder / "other", small_llama_dir, seed=1)  # its 512-token BPE
    adapter = save_adapter(small_llama_dir, folder / "adapter")
    profile_path = write_tiny_profile(folder, small_llama_dir, bbq_lite)
    extra = [f'candidate.models=["{other}"]', f'candidate.adapters=["{adapter}"]']
    profile = load_profile(str(profile_path), [*AXES, *extra])
    return folder, profile, other, adapter


@pytest.fixture(scope="module")
def audited(made):
    folder, profile, _, _ = made
    store = Store(folder / "runs.sqlite")
    first: list = []
    results = run_candidates(profile, store=store, reporter=first.append)
    again: list = []
    rerun = run_candidates(profile, store=store, reporter=again.append)
    return store, results, first, rerun, again


def test_the_plan_has_no_training_and_one_comparison_set_per_candidate(made):
    _, profile, other, adapter = made
    plan = audit_plan(profile)
    assert plan.trainings == () and plan.target == ("Age",)
    assert [e.model for e in plan.evaluations] == [
        "base",
        "base",
        "candidate:1",
        "candidate:1",
        "candidate:2",
        "candidate:2",
    ]
    r = plan.recipe
    assert plan.stages == (
        StageKey("baseline", r),
        StageKey("baseline", r, None, "cloze"),
        StageKey("candidate", r, candidate="1"),
        StageKey("candidate", r, None, "cloze", candidate="1"),
        StageKey("candidate", r, candidate="2"),
        StageKey("candidate", r, None, "cloze", candidate="2"),
        StageKey("compare", r, candidate="1"),
        StageKey("compare", r, candidate="2"),
    )
    assert [(p.name, p.after[0].candidate) for p in plan.comparisons] == [
        ("table", "1"),
        ("rotation", "1"),
        ("transfer", "1"),
        ("table", "2"),
        ("rotation", "2"),
        ("transfer", "2"),
    ]
    text = "\n".join(plan.lines())
    assert not any(line.strip().startswith("train ") for line in plan.lines())
    assert "no training" in text and "target: Age" in text
    assert str(other) in text and f"adapter {adapter}" in text
    shape = plan.to_dict()
    assert shape["trainings"] == [] and [c["label"] for c in shape["candidates"]] == ["1", "2"]


def test_candidates_are_labelled_models_then_adapters_on_the_base(made):
    _, profile, other, adapter = made
    one, two = candidates_of(profile)
    assert (one.label, one.source, one.adapter) == ("1", str(other), "")
    assert (two.label, two.source, two.adapter) == ("2", profile.model.source, str(adapter))


def test_each_candidate_is_its_own_audit_on_one_shared_baseline(audited, made):
    store, results, events, _, _ = audited
    _, profile, other, adapter = made
    assert len(results) == 2
    one, two = results
    assert one.audit_id != two.audit_id and one.baseline_run == two.baseline_run
    assert one.candidate["model"] == str(other) and two.candidate["adapter"] == str(adapter)
    assert store.run(one.aligned_run).model == str(other)
    assert store.run(two.aligned_run).adapter == str(adapter)
    assert store.run(one.baseline_run).adapter is None
    assert not one.train_run and one.transfer_format == "cloze" and one.rotation
    assert store.run(one.transfer_runs["aligned"]).mode == "cloze"
    assert one.transfer_runs["baseline"] == two.transfer_runs["baseline"]
    # the named target is marked, and judged on all its items (nothing was held out)
    assert one.table.target == ("Age",) and one.items_of("Age") is None
    stages = [e.key for e in events if isinstance(e, StageStarted)]
    assert stages == list(audit_plan(profile).stages)


def test_the_table_is_the_independent_paired_comparison_of_the_stored_runs(audited, made):
    store, results, _, _, _ = audited
    _, profile, _, _ = made
    items = plan_audit(profile).items
    s = profile.stats
    for result in results:
        expected = compare_runs(
            items,
            store.answers(result.baseline_run),
            store.answers(result.aligned_run),
            target=("Age",),
            attributes=result.table.attributes,
            correction=s.correction,
            alpha=s.alpha,
            n_boot=s.n_boot,
            seed=s.seed,
        )
        extras = ("clustering", "conventions")  # what audit.comparison adds beside it
        got = {k: v for k, v in result.table.to_dict().items() if k not in extras}
        assert got == {k: v for k, v in expected.to_dict().items() if k not in extras}


def test_a_rerun_evaluates_nothing_and_reads_the_same_runs(audited):
    _, results, _, rerun, again = audited
    finished = [e for e in again if isinstance(e, StageFinished)]
    evaluations = [e for e in finished if e.key.kind in ("baseline", "candidate")]
    assert len(evaluations) == 6 and all(e.skipped for e in evaluations)
    for a, b in zip(results, rerun, strict=True):
        assert (a.audit_id, a.baseline_run, a.aligned_run) == (
            b.audit_id,
            b.baseline_run,
            b.aligned_run,
        )
        assert a.table.to_dict() == b.table.to_dict()


def test_a_stored_candidate_is_read_back_with_its_fellows_in_order(audited, made, tmp_path):
    """What the app shows of a candidate audit, live or opened from the store: every
    finished candidate in the profile's order, found by audit id; an unfinished one is
    left out, and then the audit is not finished."""
    import sqlite3
    from dataclasses import replace

    from auditor.audit.history import candidate_results, finished_results, load_audit

    store, results, _, _, _ = audited
    _, profile, _, _ = made
    ids = [r.audit_id for r in results]
    checksum = plan_audit(profile).checksum
    stored = finished_results(store, profile, checksum=checksum)
    assert stored is not None and [r.audit_id for r in stored] == ids
    for result in (*results, *stored):  # live (the engine's profile) and read back
        found = candidate_results(store, result)
        assert [r.audit_id for r in found] == ids and any(r is result for r in found)
        assert [r.table.to_dict() for r in found] == [r.table.to_dict() for r in results]
    plain = replace(stored[0], candidate=None)
    assert candidate_results(store, plain) == (plain,)
    copy = tmp_path / "runs.sqlite"
    with sqlite3.connect(store.path) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    with Store(copy) as other:
        other.update_audit(ids[1], status="cancelled")
        first = load_audit(other, ids[0])
        assert candidate_results(other, first) == (first,)
        assert finished_results(other, profile, checksum=checksum) is None


def test_a_chosen_candidates_report_is_its_own_among_the_candidates(audited, made):
    """The app exports one candidate: the report `spillover audit` writes for it."""
    from auditor.audit.candidate_report import (
        candidate_reports,
        chosen_candidate_report,
        with_candidate_trajectory,
    )

    store, results, _, _, _ = audited
    _, profile, _, _ = made
    cli = with_candidate_trajectory(candidate_reports(store, results, profile))
    for i, result in enumerate(results):
        expected = cli[i].report.to_dict()
        assert chosen_candidate_report(store, result, results, profile).to_dict() == expected
        assert chosen_candidate_report(store, result, (), profile).to_dict() == expected


def test_a_candidate_added_later_reuses_the_stored_baseline_and_the_first_audit(audited, made):
    store, results, _, _, _ = audited
    folder, profile, other, _ = made
    alone = load_profile(str(folder / "tiny.toml"), [*AXES, f'candidate.models=["{other}"]'])
    events: list = []
    (result,) = run_candidates(alone, store=store, reporter=events.append)
    assert result.audit_id == results[0].audit_id  # keyed by the candidate, not its peers
    assert all(
        e.skipped for e in events if isinstance(e, StageFinished) and e.key.kind != "compare"
    )


def test_a_candidate_audits_key_ignores_alignment_and_keeps_old_keys(made):
    _, profile, _, _ = made
    from dataclasses import replace

    one = candidates_of(profile)[0]
    other_align = replace(profile, align=replace(profile.align, learning_rate=1.0))
    assert audit_key(profile, "x", one) == audit_key(other_align, "x", one)
    plain = replace(profile, candidate=type(profile.candidate)())
    assert '"candidate"' not in audit_key(plain, "x")


def test_the_baseline_is_the_run_a_training_audit_of_the_same_items_stored(made, tmp_path):
    from auditor.audit.pipeline import run_audit

    folder, _, other, _ = made
    same = [
        "data.sample=0",
        'data.attributes=["Sexual_orientation"]',
        'align.target=["Sexual_orientation"]',
    ]
    training = load_profile(str(folder / "tiny.toml"), same)
    candidate = load_profile(str(folder / "tiny.toml"), [*same, f'candidate.models=["{other}"]'])
    assert plan_audit(training).eval_items == plan_audit(candidate).eval_items
    store = Store(tmp_path / "runs.sqlite")
    trained = run_audit(training, store=store)
    scored = len(store.done_ids(trained.baseline_run))
    (compared,) = run_candidates(candidate, store=store)
    assert compared.baseline_run == trained.baseline_run  # one stored run, keyed alike
    assert len(store.done_ids(compared.baseline_run)) == scored
    assert compared.audit_id != trained.audit_id


def test_the_caveat_names_the_unknown_training_data():
    assert "cannot know what data trained" in CAVEAT


def test_an_interrupted_candidate_audit_resumes_without_redoing_a_stage(made, tmp_path):
    import threading

    from auditor.core.events import Cancelled
    from auditor.store.db import make_id

    _, profile, _, _ = made
    store = Store(tmp_path / "runs.sqlite")
    cancel = threading.Event()

    def stop_after_candidate_1(event):
        if isinstance(event, StageFinished) and event.key == StageKey(
            "candidate", audit_plan(profile).recipe, None, "cloze", candidate="1"
        ):
            cancel.set()

    with pytest.raises(Cancelled):
        run_candidates(profile, store=store, reporter=stop_after_candidate_1, cancel=cancel)
    checksum = plan_audit(profile).checksum
    ids = [make_id("audit", audit_key(profile, checksum, c)) for c in candidates_of(profile)]
    assert [store.audit(i).status for i in ids] == ["cancelled", "cancelled"]
    runs_before = {r.id for r in store.runs("eval")}
    events: list = []
    first, second = run_candidates(profile, store=store, reporter=events.append)
    skipped = {e.key.name for e in events if isinstance(e, StageFinished) and e.skipped}
    assert skipped == {"baseline", "baseline (cloze)", "candidate 1", "candidate 1 (cloze)"}
    new = {r.id for r in store.runs("eval")} - runs_before
    assert new == {second.aligned_run, second.transfer_runs["aligned"]}  # only candidate 2's
    assert [store.audit(i).status for i in ids] == ["done", "done"]
    assert first.aligned_run in runs_before


def test_the_candidate_section_is_read_from_a_profile_file(made, tmp_path):
    from auditor.core.errors import InputError

    folder, _, other, adapter = made
    text = (folder / "tiny.toml").read_text() + (
        f'\n[candidate]\nmodels = ["{other}"]\nadapters = ["{adapter}"]\ntarget = ["SES"]\n'
    )
    path = tmp_path / "with-candidates.toml"
    path.write_text(text)
    profile = load_profile(str(path))
    assert [c.shown for c in candidates_of(profile)] == [
        str(other),
        f"{profile.model.source} + adapter {adapter}",
    ]
    assert audit_plan(profile).target == ("SES",)
    path.write_text(text.replace('target = ["SES"]', 'target = ["Gender"]'))
    with pytest.raises(InputError, match=r"'candidate.target'.*Gender"):
        load_profile(str(path))
