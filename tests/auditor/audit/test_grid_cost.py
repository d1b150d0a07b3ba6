"""The grid's cost: each evaluated format (mode and option orders) measured apart."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.audit.grid_cost import grid_cost
from auditor.audit.profiles import EvalSection, Profile
from auditor.store.db import Store

# (mode, orders, seconds, items): finished evaluations of the same model
RUNS = (
    ("letter", "none", 20.0, 100),
    ("letter", "none", 30.0, 100),
    ("letter", "cyclic", 60.0, 100),
    ("cloze", "none", 25.0, 50),
)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.sqlite") as s:
        for n, (mode, orders, seconds, items) in enumerate(RUNS):
            run = s.create_or_get_run(
                "eval", f"k{n}", model="m", mode=mode, settings={"orders": orders}
            )
            s.update_run(
                run, status="done", record={"timing": {"seconds": seconds, "items": items}}
            )
        yield s


def _profile(**eval_fields) -> Profile:
    p = Profile()
    return replace(
        p,
        model=replace(p.model, source="m"),
        eval=replace(EvalSection(), **eval_fields),
        align=replace(p.align, seeds=(0, 1)),
    )


def test_each_format_uses_its_own_rate_and_the_total_adds_them(store):
    cost = grid_cost(_profile(orders="cyclic", transfer=("cloze",)), 1000, store)
    assert [(f.mode, f.orders, f.evaluations) for f in cost.formats] == [
        ("letter", "cyclic", 3),
        ("cloze", "none", 3),
    ]
    assert cost.per_item is not None and cost.per_item.seconds == pytest.approx(0.6)
    assert cost.formats[1].per_item is not None
    assert cost.formats[1].per_item.seconds == pytest.approx(0.5)
    assert cost.scoring_seconds == pytest.approx(1000 * 3 * 0.6 + 1000 * 3 * 0.5)


def test_unrotated_rate_is_the_median_of_unrotated_runs_only(store):
    cost = grid_cost(_profile(), 10, store)
    assert cost.per_item is not None
    assert (cost.per_item.seconds, cost.per_item.runs) == (pytest.approx(0.25), 2)
    assert cost.scoring_seconds == pytest.approx(10 * 3 * 0.25)


def test_an_unmeasured_format_leaves_the_total_unknown(store):
    cost = grid_cost(_profile(orders="all"), 10, store)
    assert cost.per_item is None and cost.scoring_seconds is None
