"""`spillover profiles` lists and shows resolved profiles."""

from __future__ import annotations

import json
import tomllib

from click.testing import CliRunner

from auditor.cli import main


def test_list_and_show():
    runner = CliRunner()
    listed = runner.invoke(main, ["profiles"])
    assert listed.exit_code == 0
    assert "demo" in listed.output and "qwen-2.5-7b" in listed.output
    shown = runner.invoke(main, ["profiles", "show", "demo", "--set", "align.beta=0.3"])
    assert shown.exit_code == 0
    assert tomllib.loads(shown.output)["align"]["beta"] == 0.3
    as_json = runner.invoke(main, ["profiles", "show", "ci", "--format", "json"])
    assert json.loads(as_json.output)["name"] == "ci"


def test_bad_override_is_one_line_exit_2():
    result = CliRunner().invoke(main, ["profiles", "show", "demo", "--set", "align.nope=1"])
    assert result.exit_code == 2
    assert "unknown key 'align.nope'" in result.output
    assert "Traceback" not in result.output
