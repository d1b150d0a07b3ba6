"""CLI input checks that need no stored audit: a bad profile, a missing store, the demo without data."""

from __future__ import annotations

from click.testing import CliRunner

from auditor.cli import main


def test_bad_profile_is_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[align]\nbeta_typo = 1\n")
    result = CliRunner().invoke(main, ["audit", "--profile", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip().startswith("error:") and "beta_typo" in result.output


def test_read_only_commands_need_an_existing_store(tmp_path):
    missing = tmp_path / "typo.sqlite"
    for args in (["runs"], ["gate", "audit-x"], ["items", "eval-x"], ["compare", "a", "b"]):
        result = CliRunner().invoke(main, [*args, "--store", str(missing)])
        assert result.exit_code == 2 and "no such file" in result.output, args
    assert not missing.exists()


def test_demo_without_data_fetches_it_first(tmp_path, monkeypatch, bbq_official):
    """Served from a local mirror holding six official files: the fetch keeps those and
    the missing target attribute stops the demo with one line, before any model runs."""
    from ..helpers import serve_folder

    mirror = tmp_path / "mirror" / "data"
    mirror.mkdir(parents=True)
    for path in bbq_official.glob("*.jsonl"):
        (mirror / path.name).write_bytes(path.read_bytes())
    monkeypatch.setenv("SPILLOVER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SPILLOVER_BBQ", raising=False)
    with serve_folder(tmp_path / "mirror") as url:
        monkeypatch.setenv("SPILLOVER_BBQ_BASE_URL", url)
        result = CliRunner().invoke(main, ["demo", "--store", str(tmp_path / "s.sqlite")])
    assert "fetching the official files" in result.stderr
    assert len(list((tmp_path / "data" / "bbq" / "data").glob("*.jsonl"))) == 6
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: could not fetch data/")
