"""The type check's configuration keeps its promises (docs/architecture.md, Lint): the
strict flags cover the light packages, ``audit`` and ``cli``, and no module has error
codes turned off."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STRICT = (
    "auditor.core",
    "auditor.bbq",
    "auditor.stats",
    "auditor.store",
    "auditor.reports",
    "auditor.audit",
    "auditor.cli",
)
STRICT_FLAGS = (
    "disallow_any_generics",
    "disallow_untyped_calls",
    "disallow_untyped_defs",
    "disallow_incomplete_defs",
    "check_untyped_defs",
    "warn_return_any",
    "no_implicit_reexport",
    "strict_equality",
)


def overrides() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = config["tool"]["mypy"]["overrides"]
    assert found, "no [[tool.mypy.overrides]] found"
    return found


def _modules(block: dict) -> list[str]:
    modules = block["module"]
    return [modules] if isinstance(modules, str) else list(modules)


def test_strict_flags_cover_the_light_packages_audit_and_cli():
    for package in STRICT:
        blocks = [
            b for b in overrides() if package in _modules(b) and f"{package}.*" in _modules(b)
        ]
        assert blocks, f"{package} (and its modules) not under the strict flags"
        for flag in STRICT_FLAGS:
            assert any(b.get(flag) is True for b in blocks), f"{package}: {flag} is not on"


def test_no_module_has_error_codes_turned_off():
    for block in overrides():
        codes = block.get("disable_error_code")
        assert not codes, f"error codes {codes} turned off in {_modules(block)}"
