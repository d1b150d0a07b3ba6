"""A study-shaped stored audit for the audit package's tests (`tests/fixtures/study_store.py`,
reduced to 360 items an evaluation), built once per session."""

from __future__ import annotations

import pytest

from tests.fixtures.study_store import build_study_store

STUDY_ITEMS = 360


@pytest.fixture(scope="session")
def study(tmp_path_factory, bbq_lite):
    return build_study_store(
        tmp_path_factory.mktemp("study") / "runs.sqlite", bbq_lite, items=STUDY_ITEMS, n_boot=200
    )
