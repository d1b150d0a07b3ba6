"""`spillover tui`: options, one-line errors, no Textual until it runs, and no CLI in the app."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from auditor.cli import main


def test_help_lists_the_options():
    result = CliRunner().invoke(main, ["tui", "--help"])
    assert result.exit_code == 0
    for option in ("--profile", "--store", "--bbq"):
        assert option in result.output


def test_an_unknown_profile_is_one_line_and_exit_2(tmp_path):
    result = CliRunner().invoke(
        main, ["tui", "--profile", "nope", "--store", str(tmp_path / "s.sqlite")]
    )
    assert result.exit_code == 2
    assert result.output.startswith("error: unknown profile 'nope'")
    assert len(result.output.strip().splitlines()) == 1


def test_the_command_imports_textual_only_when_run():
    probe = (
        "import sys, tui.cli, auditor.cli; "
        "print('textual' in sys.modules, 'tui.app' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_app_does_not_import_the_cli():
    """tui.cli is the `spillover tui` command itself: it may share the CLI's options."""
    probe = (
        "import importlib, pkgutil, sys, tui\n"
        "for info in pkgutil.walk_packages(tui.__path__, 'tui.'):\n"
        "    if info.name != 'tui.cli':\n"
        "        importlib.import_module(info.name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('auditor.cli')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
