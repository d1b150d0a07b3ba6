"""The gate fails closed: with nothing (or too little) to judge it refuses, never passes."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.audit.gate import evaluate_gate
from auditor.audit.gate_inputs import nonfinite_tensors, run_problems, training_problems
from auditor.audit.profiles import GateSection
from auditor.bbq import load_bbq, sample
from auditor.cli import main
from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.stats import compare_runs
from auditor.store.db import Store

from ..audit_fixtures import synthetic_runs


@pytest.fixture(scope="module")
def items(bbq_lite):
    return sample(load_bbq(bbq_lite).items, per_cell=40, seed=0)


@pytest.fixture(scope="module")
def by_id(items):
    return {i.id: i for i in items}


def _answers(items, seed=0):
    rng = random.Random(seed)
    return [Answer(i.id, i.label if rng.random() < 0.7 else rng.randrange(3)) for i in items]


def _store_run(store, name, items, answers, status="done", **fields):
    run = store.create_or_get_run("eval", name, model="m", total=len(items), **fields)
    store.add_answers(run, items, answers)
    store.update_run(run, status)
    return run


def test_disjoint_runs_are_refused_not_passed(tmp_path, items, bbq_lite):
    """An Age-only run against a Religion-only run pairs nothing: exit 2, not PASSED."""
    age = [i for i in items if i.attribute == "Age"]
    religion = [i for i in items if i.attribute == "Religion"]
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        a = _store_run(store, "a", age, _answers(age))
        b = _store_run(store, "b", religion, _answers(religion))
    before = path.read_bytes()
    result = CliRunner().invoke(
        main,
        [
            "gate",
            a,
            b,
            "--store",
            str(path),
            "--bbq",
            str(bbq_lite),
            "--output",
            str(tmp_path / "gate.md"),
            "--output",
            str(tmp_path / "gate.xml"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "REFUSED" in (tmp_path / "gate.md").read_text()
    assert 'name="gate.judgeable"' in (tmp_path / "gate.xml").read_text()
    assert "gate cannot judge" in result.stderr and "PASSED" not in result.stdout
    assert "REFUSED" in result.stdout
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1
    assert path.read_bytes() == before  # the gate only reads


def test_tiny_candidate_is_refused(tmp_path, items, bbq_lite):
    """A candidate that holds one item of the baseline's 720 cannot pass."""
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        a = _store_run(store, "a", items, _answers(items))
        b = _store_run(store, "b", items[:1], _answers(items[:1]))
    result = CliRunner().invoke(
        main, ["gate", a, b, "--store", str(path), "--bbq", str(bbq_lite), "--format", "json"]
    )
    assert result.exit_code == 2
    gate = json.loads(result.stdout)["gate"]
    assert gate["passed"] is False and gate["refusals"]
    assert any("pair 1 items" in r for r in gate["refusals"])


def test_no_checked_cell_is_refused(items, by_id):
    gender = [i for i in items if i.attribute == "Gender_identity"]
    answers = _answers(gender)
    table = compare_runs(by_id, answers, answers, target=("Gender_identity",), n_boot=200)
    result = evaluate_gate(table, GateSection(min_paired=1))
    assert not result.passed and result.checked == ()
    assert any("no cell to check" in r for r in result.refusals)


def test_thin_cell_and_minimums_are_settable(items, by_id):
    answers = _answers(items)
    table = compare_runs(by_id, answers, answers, n_boot=200)  # no change at all
    passed = evaluate_gate(table, GateSection())
    assert passed.passed
    smallest = min(table.cell(a, c).accuracy.n for a, c in passed.checked)
    assert evaluate_gate(table, GateSection(min_cell=smallest)).passed
    strict = evaluate_gate(table, GateSection(min_cell=10_000))
    assert not strict.passed and len(strict.refusals) == len(strict.checked)
    assert evaluate_gate(table, GateSection(min_paired=10_000)).refused


def test_unfinished_runs_and_unlike_modes_are_refused(tmp_path, items):
    with Store(tmp_path / "s.sqlite") as store:
        a = _store_run(store, "a", items, _answers(items), mode="letter", template="t1")
        b = _store_run(
            store, "b", items, _answers(items, 1), status="running", mode="options", template="t1"
        )
        c = _store_run(store, "c", items, _answers(items, 2), mode="letter", template="t2")
        problems = run_problems(store, a, b)
        assert any("running, not done" in p for p in problems)
        assert any("different scoring modes" in p for p in problems)
        assert any("different prompt templates" in p for p in run_problems(store, a, c))
        # a run is like itself; it is refused only as a self-comparison (test_gate_hostile)
        assert [p for p in run_problems(store, a, a) if "with itself" not in p] == []
        rotated = _store_run(
            store,
            "r",
            items,
            _answers(items, 3),
            mode="letter",
            template="t1",
            settings={"orders": "cyclic"},
        )
        assert any(
            "different option orders (none vs cyclic)" in p for p in run_problems(store, a, rotated)
        )


def test_non_finite_scores_are_refused(tmp_path, items):
    with Store(tmp_path / "s.sqlite") as store:
        a = _store_run(store, "a", items, [Answer(x.id, 0, (0.0, -1.0, -2.0)) for x in items])
        b = _store_run(
            store, "b", items, [Answer(x.id, 0, (math.nan, math.nan, math.nan)) for x in items]
        )
        assert any(
            f"non-finite scores on {len(items)} items" in p for p in run_problems(store, a, b)
        )


def test_diverged_adapter_and_failed_training_are_refused(tmp_path):
    from safetensors.numpy import save_file

    adapter = tmp_path / "adapter"
    adapter.mkdir()
    good = np.ones((4, 4), dtype=np.float32)
    bad = good.copy()
    bad[1, 2] = np.nan
    halves = np.array([0x7FC0, 0x3F80], dtype=np.uint16)  # bf16 NaN and 1.0
    save_file({"a.lora_A": good, "b.lora_B": bad}, str(adapter / "adapter_model.safetensors"))
    assert nonfinite_tensors(adapter / "adapter_model.safetensors") == ["b.lora_B"]
    with Store(tmp_path / "s.sqlite") as store:
        run = store.create_or_get_run("train", "t")
        store.update_run(run, "failed", {"error": "boom"})
        problems = training_problems(store, run, adapter)
    assert any("failed (boom)" in p for p in problems)
    assert any("non-finite weights in 1 tensors" in p for p in problems)
    # bf16 is read without torch
    raw = halves.tobytes()
    header = json.dumps({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, len(raw)]}})
    blob = len(header).to_bytes(8, "little") + header.encode() + raw
    (tmp_path / "bf16.safetensors").write_bytes(blob)
    assert nonfinite_tensors(tmp_path / "bf16.safetensors") == ["w"]


@pytest.mark.parametrize(
    "flags",
    [
        ["--max-accuracy-drop", "nan"],
        ["--max-bias-increase", "nan"],
        ["--alpha", "nan"],
        ["--max-accuracy-drop", "inf"],
        ["--alpha", "-inf"],
        ["--min-paired", "0"],
    ],
)
def test_non_finite_gate_flags_are_refused(tmp_path, items, bbq_lite, flags):
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        a, b = synthetic_runs(store, items)
    result = CliRunner().invoke(
        main, ["gate", a, b, "--store", str(path), "--bbq", str(bbq_lite), *flags]
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_nan_in_a_profile_gate_is_refused(tmp_path, items, bbq_lite):
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        a, b = synthetic_runs(store, items)
    profile = tmp_path / "p.toml"
    profile.write_text("[gate]\nmax_accuracy_drop = nan\n")
    result = CliRunner().invoke(
        main,
        ["gate", a, b, "--store", str(path), "--bbq", str(bbq_lite), "--profile", str(profile)],
    )
    assert result.exit_code == 2 and "finite" in result.stderr


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_gate_passes_only_with_enough_paired_items(items, by_id, data):
    """Property: for any pair of runs (any subsets, any answers), a pass implies at least
    one checked cell and every checked cell with at least min_cell paired items."""
    seed = data.draw(st.integers(0, 10_000))
    rng = random.Random(seed)
    share_a, share_b = data.draw(st.floats(0.0, 1.0)), data.draw(st.floats(0.0, 1.0))
    keep_a = [i for i in items if rng.random() < share_a]
    keep_b = [i for i in items if rng.random() < share_b]
    gate = GateSection(
        min_paired=data.draw(st.integers(1, 400)),
        min_cell=data.draw(st.integers(1, 40)),
        max_accuracy_drop=1.0,
        max_bias_increase=2.0,
    )
    if not keep_a or not keep_b:
        return
    answers_a, answers_b = _answers(keep_a, seed), _answers(keep_b, seed + 1)
    paired = {a.item_id for a in answers_a} & {b.item_id for b in answers_b}
    try:
        table = compare_runs(by_id, answers_a, answers_b, n_boot=100)
    except InputError:  # nothing pairs at all: no table, so nothing can pass
        assert not paired
        return
    result = evaluate_gate(table, gate)
    if result.passed:
        assert result.checked
        assert table.pairing.n_paired >= gate.min_paired
        assert table.pairing.only_before == table.pairing.only_after == 0
        for attribute, context in result.checked:
            assert table.cell(attribute, context).accuracy.n >= gate.min_cell
