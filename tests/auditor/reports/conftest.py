"""The two imported lm-eval runs the figure and HTML tests draw."""

from __future__ import annotations

import pytest

from ..lm_eval_fixtures import build_two_runs


@pytest.fixture(scope="session")
def two_runs(tmp_path_factory, bbq_root):
    return build_two_runs(tmp_path_factory, bbq_root)


@pytest.fixture(scope="session")
def lite_items(bbq_lite):
    """All BBQ-lite items (nine attributes), keyed by id."""
    from auditor.bbq import load_bbq

    return load_bbq(bbq_lite).by_id()


@pytest.fixture(scope="session")
def trajectory_tables(lite_items):
    """Two real tables on one baseline, built as the trajectory tests build theirs: at
    step 10 the same answers as the baseline, at step 20 every Physical_appearance item
    answered with its biased option (a degradation the reports must show)."""
    import random

    from auditor.bbq import sample
    from auditor.core.answers import Answer
    from auditor.stats import compare_runs

    items = sample(list(lite_items.values()), per_cell=40, seed=0)
    rng = random.Random(0)
    base = [Answer(i.id, i.label if rng.random() < 0.8 else rng.randrange(3)) for i in items]
    biased = [
        Answer(a.item_id, i.roles.biased) if i.attribute == "Physical_appearance" and i.roles else a
        for a, i in zip(base, items, strict=True)
    ]
    by_id = {i.id: i for i in items}
    kwargs = dict(target=("Gender_identity",), n_boot=300)
    return compare_runs(by_id, base, base, **kwargs), compare_runs(by_id, base, biased, **kwargs)
