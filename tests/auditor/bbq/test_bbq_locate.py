"""Data-dir resolution shared by every command: --bbq, $SPILLOVER_BBQ, the fetched copy."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from auditor.bbq import resolve_bbq_dir
from auditor.bbq.locate import BBQ_ENV, DATA_DIR_ENV, NO_DATA, fetched_dir
from auditor.cli.options import bbq_option
from auditor.core.errors import InputError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv(BBQ_ENV, raising=False)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "home"))


def test_option_wins_over_env(monkeypatch, bbq_lite, bbq_official):
    monkeypatch.setenv(BBQ_ENV, str(bbq_official))
    assert resolve_bbq_dir(str(bbq_lite)) == bbq_lite
    assert resolve_bbq_dir(None) == bbq_official


def test_fetched_copy_is_the_fallback(tmp_path, bbq_official):
    assert fetched_dir() == tmp_path / "home" / "bbq"
    with pytest.raises(InputError) as info:
        resolve_bbq_dir(None)
    assert str(info.value) == NO_DATA
    (fetched_dir() / "data").mkdir(parents=True)
    with pytest.raises(InputError):  # an empty folder is not data
        resolve_bbq_dir(None)
    (fetched_dir() / "data" / "Age.jsonl").symlink_to(bbq_official / "Age.jsonl")
    assert resolve_bbq_dir(None) == fetched_dir()


def test_missing_paths_and_hub_ids(monkeypatch, tmp_path):
    with pytest.raises(InputError, match=r"--bbq .*nowhere: no such file or directory"):
        resolve_bbq_dir(str(tmp_path / "nowhere"))
    monkeypatch.setenv(BBQ_ENV, str(tmp_path / "gone"))
    with pytest.raises(InputError, match=r"SPILLOVER_BBQ .*gone: no such"):
        resolve_bbq_dir(None)
    assert resolve_bbq_dir("hf:heegyu/bbq") == "hf:heegyu/bbq"


def test_bbq_option_decorator(bbq_lite):
    @click.command()
    @bbq_option
    def show(bbq):
        click.echo(str(resolve_bbq_dir(bbq)))

    result = CliRunner().invoke(show, ["--bbq", str(bbq_lite)])
    assert result.exit_code == 0 and result.output.strip() == str(bbq_lite)
    assert "--bbq DIR" in CliRunner().invoke(show, ["--help"]).output
