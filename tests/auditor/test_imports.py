"""Import contracts: the CLI starts without torch, and the engine never imports the UI."""

from __future__ import annotations

import subprocess
import sys

PROBE_CLI = """
import sys
from click.testing import CliRunner
from auditor.cli import main
runner = CliRunner()
names = main.list_commands(None)
assert "tui" in names, names  # the app's plugin command is found
for args in (["--help"],) + tuple([name, "--help"] for name in names):
    result = runner.invoke(main, args)
    assert result.exit_code == 0, (args, result.output)
heavy = [m for m in ("torch", "transformers", "trl", "peft", "datasets", "textual", "matplotlib")
         if m in sys.modules]
print(",".join(heavy))
"""

PROBE_ENGINE = """
import importlib, pkgutil, sys
import auditor
for info in pkgutil.walk_packages(auditor.__path__, "auditor."):
    if info.name.endswith("__main__"):
        continue
    importlib.import_module(info.name)
print("textual" in sys.modules, "tui" in sys.modules)
"""


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_cli_help_imports_no_heavy_library():
    assert _run(PROBE_CLI) == ""


def test_engine_never_imports_textual():
    assert _run(PROBE_ENGINE) == "False False"
