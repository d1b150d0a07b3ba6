"""Browsing in the app never writes: no store is created, an existing one is unchanged."""

from __future__ import annotations

from auditor.store.db import Store
from tui.backend import Backend


def test_browsing_creates_no_store(tmp_path):
    backend = Backend(tmp_path / "runs.sqlite")
    assert backend.list_audits() == [] and backend.list_runs() == []
    backend.close()
    assert not list(tmp_path.iterdir())


def test_browsing_leaves_the_store_unchanged(tmp_path):
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        run = store.create_or_get_run("eval", "k", model="m", total=0)
        store.update_run(run, "done")
    before = path.read_bytes()
    backend = Backend(path)
    assert [r.id for r in backend.list_runs()] == [run]
    assert backend.reader.readonly
    backend.close()
    assert path.read_bytes() == before


def test_a_plan_the_engine_refuses_is_refused_by_the_check(tmp_path):
    import pytest

    from auditor.audit.profiles import build_profile
    from auditor.core.errors import InputError

    backend = Backend(tmp_path / "runs.sqlite")
    with pytest.raises(InputError, match="align.methods is set"):
        backend.check(build_profile({"align": {"methods": ["dpo", "orpo"]}}))
    backend.close()
    assert not list(tmp_path.iterdir())  # refused before anything was written
