"""The non-inferiority gate's error rates, by simulation with known truth, through the
real comparison path: clustered runs (template instances whose items' changes are
correlated, as BBQ's are) become Items and Answers, ``stats.compare_runs`` builds the
table and ``audit.gate.evaluate_gate`` judges it.

The checked cell is one attribute's ambiguous context: 100 template instances of four
items whose changes move together (design effect about 2.4; a bound that treated the
items as independent passed 16 % of such draws at the margin). Its accuracy carries the known
truth; the bias side is made non-binding (margin and allowed increase at the scale's
maximum, 2), since the simulation sets no true growth of |bias| (its bound is checked by
the stats tests)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from auditor.audit.gate import evaluate_gate
from auditor.audit.profiles import GateSection
from auditor.core.answers import Answer
from auditor.core.items import Item, Option, Roles
from auditor.stats import compare_runs
from auditor.stats.noninferiority import power

ROOT = Path(__file__).resolve().parents[3]
SHAPE = dict(clusters=100, size=4, discordance=0.2, icc=0.8)  # instances of 4 items
MARGIN, ALPHA, DRAWS = 0.05, 0.05, 250
GATE = GateSection(
    mode="noninferiority",
    cells="ambig",
    alpha=ALPHA,
    margin_accuracy=MARGIN,
    margin_bias=2.0,
    max_bias_increase=2.0,
)


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_gate", ROOT / "benchmarks" / "bench_gate.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _item(n: int, instance: int) -> Item:
    """An ambiguous Age item of template instance ``instance`` (option 0 unknown: right)."""
    options = (
        Option("Unknown", "unknown"),
        Option(f"old {instance}", "old"),
        Option(f"young {instance}", "nonOld"),
    )
    return Item(
        id=f"Age:{n}",
        attribute="Age",
        example_id=n,
        context_condition="ambig",
        polarity="neg" if n % 2 else "nonneg",
        question_index=str(instance),
        context="c",
        question="q",
        options=options,
        label=0,
        stereotyped_groups=("old",),
        subcategory="",
        unknown_index=0,
        roles=Roles(biased=1, anti_biased=2, unknown=0),
    )


def _answers(ids, correct, rng):
    wrong = rng.integers(1, 3, size=len(ids))  # a wrong answer: the biased or the other
    return [Answer(i, 0 if ok else int(w)) for i, ok, w in zip(ids, correct, wrong, strict=True)]


def _pass_rate(bench, rng, drop: float) -> float:
    passed = 0
    items = None
    for _ in range(DRAWS):
        base, aligned, cluster = bench.simulate_cell(rng, drop=drop, **SHAPE)
        if items is None:  # the cluster layout is the same in every draw
            items = {f"Age:{k}": _item(k, int(c)) for k, c in enumerate(cluster)}
        ids = list(items)
        table = compare_runs(
            items,
            _answers(ids, base, rng),
            _answers(ids, aligned[0], rng),
            target=("Gender_identity",),
            attributes=["Age"],
            n_boot=100,
        )
        result = evaluate_gate(table, GATE)
        assert not result.refused, result.refusals
        passed += result.passed
    return passed / DRAWS


@pytest.fixture(scope="module")
def bench():
    return _bench()


def test_at_a_true_drop_equal_to_the_margin_the_gate_passes_at_most_alpha(bench):
    rate = _pass_rate(bench, np.random.default_rng(23), drop=MARGIN)
    assert rate <= ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / DRAWS)


def test_at_no_drop_the_gate_passes_with_the_predicted_power(bench):
    rng = np.random.default_rng(29)
    deff = bench.design_effect(rng, draws=100, drop=0.0, **SHAPE)
    n = SHAPE["clusters"] * SHAPE["size"]
    predicted = power(n, SHAPE["clusters"], SHAPE["discordance"], MARGIN, ALPHA, deff=deff)
    assert 0.2 < predicted < 0.95  # a regime where the check can fail either way
    rate = _pass_rate(bench, rng, drop=0.0)
    assert rate == pytest.approx(predicted, abs=3 * math.sqrt(0.25 / DRAWS) + 0.03)
