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
