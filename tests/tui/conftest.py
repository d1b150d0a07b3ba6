"""Fixtures for the TUI tests: stored data, a replaying backend, fixed profiles."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from .controls import formats_audit, seeded_audit
from .data import PROFILES, build
from .fakes import ReplayBackend

SIZE = (150, 50)


@pytest.fixture(scope="session")
def tui_data(tmp_path_factory, bbq_lite):
    return build(tmp_path_factory.mktemp("tui"), bbq_lite)


@pytest.fixture(scope="session")
def seeded(tui_data):
    """An audit with three seed replicates: its profile, recorded events and result."""
    return seeded_audit(tui_data)


@pytest.fixture(scope="session")
def formats(tui_data):
    """The fixture audit with a format-transfer table and a rotation comparison."""
    return formats_audit(tui_data)


@pytest.fixture(autouse=True)
def fixed_profiles(monkeypatch):
    """Bundled profiles come from tests/tui/profiles, so screenshots stay put."""
    monkeypatch.setenv("SPILLOVER_PROFILES", str(PROFILES))


@pytest.fixture
def make_backend(tui_data):
    """ReplayBackend factory; every backend made is released after the test."""
    made = []

    def make(**kwargs) -> ReplayBackend:
        made.append(ReplayBackend(tui_data, **kwargs))
        return made[-1]

    yield make
    for backend in made:
        backend.resume.set()
        backend.close()


@pytest.fixture
def backend(make_backend):
    return make_backend()


def plain(renderable, width: int = 200) -> str:
    """What a rich renderable shows, as text."""
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


async def settle(pilot) -> None:
    """Let every worker finish and the messages they posted be handled."""
    for _ in range(3):  # a worker's message may open a screen that starts another
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@pytest.fixture(scope="session")
def finished(tui_data, tmp_path_factory):
    """A copy of the app's store holding the demo profile's audit, finished, under its
    own audit id (so starting the profile finds it)."""
    import dataclasses
    import sqlite3

    from auditor.audit.profiles import load_profile
    from auditor.audit.selection import audit_key, plan_audit
    from auditor.store.db import Store
    from auditor.store.records import outcome

    copy = tmp_path_factory.mktemp("read-back") / "runs.sqlite"
    with sqlite3.connect(tui_data.store_path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    profile = load_profile(str(PROFILES / "demo.toml"))
    key = audit_key(profile, plan_audit(profile, str(tui_data.bbq)).checksum)
    with Store(copy) as store:
        audit_id = store.create_or_get_audit(key, profile.to_dict())
        store.update_audit(
            audit_id,
            status="done",
            baseline_run=tui_data.run_a,
            train_run=tui_data.train_run,
            aligned_run=tui_data.run_b,
            record=outcome(table=tui_data.table.to_dict(), adapter_dir="alignment/adapter"),
        )
    return profile, dataclasses.replace(tui_data, store_path=copy), audit_id


@pytest.fixture(scope="session")
def two_candidates(tui_data, tmp_path_factory):
    """A copy of the app's store holding a finished candidate audit of two fine-tunes."""
    from .candidates import candidate_audit

    return candidate_audit(tui_data, tmp_path_factory.mktemp("candidates"))
