"""Fixtures for the TUI tests: stored data, a replaying backend, fixed profiles."""

from __future__ import annotations

import pytest

from .data import PROFILES, build
from .fakes import ReplayBackend

SIZE = (150, 50)


@pytest.fixture(scope="session")
def tui_data(tmp_path_factory, bbq_lite):
    return build(tmp_path_factory.mktemp("tui"), bbq_lite)


@pytest.fixture(autouse=True)
def fixed_profiles(monkeypatch):
    """Bundled profiles come from tests/tui/profiles, so screenshots stay put."""
    monkeypatch.setenv("SPILLOVER_PROFILES", str(PROFILES))


@pytest.fixture
def backend(tui_data):
    backend = ReplayBackend(tui_data)
    yield backend
    backend.resume.set()
    backend.close()


async def settle(pilot) -> None:
    """Let every worker finish and the messages they posted be handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()
