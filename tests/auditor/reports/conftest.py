"""The two imported lm-eval runs the figure and HTML tests draw."""

from __future__ import annotations

import pytest

from .. import audit_fixtures
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
    """Two real tables on one baseline, as the trajectory tests build theirs
    (``audit_fixtures.trajectory_tables``)."""
    return audit_fixtures.trajectory_tables(lite_items.values())
