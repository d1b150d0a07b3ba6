"""No module of the engine or the app over 350 lines (docs/architecture.md)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 350


def sizes() -> dict[str, int]:
    return {
        path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for package in ("auditor", "tui")
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def test_no_module_over_the_limit():
    found = sizes()
    assert len(found) > 100, "the packages were not found"
    over = {path: n for path, n in found.items() if n > LIMIT}
    assert not over, f"modules over {LIMIT} lines: {over}; split them"
