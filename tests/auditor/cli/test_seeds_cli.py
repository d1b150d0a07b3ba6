"""`audit --seeds` and `gate --min-seed-agreement`: parsing, errors, and the profile they set."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from auditor.cli import main


@pytest.fixture
def captured(monkeypatch):
    """run_audit replaced by a stub that records the profile and stops (exit 3)."""
    import auditor.audit.pipeline

    seen = {}

    def fake_run_audit(profile, **kwargs):
        seen["profile"] = profile
        raise RuntimeError("stop here")

    monkeypatch.setattr(auditor.audit.pipeline, "run_audit", fake_run_audit)
    return seen


def test_seeds_flag_sets_the_profiles_replicates(captured, tmp_path, bbq_lite):
    result = CliRunner().invoke(
        main,
        [
            "audit",
            "--profile",
            "ci",
            "--seeds",
            "0, 1,2",
            "--store",
            str(tmp_path / "s.sqlite"),
            "--bbq",
            str(bbq_lite),
        ],
    )
    assert result.exit_code == 3, result.output
    assert captured["profile"].align.seeds == (0, 1, 2)


@pytest.mark.parametrize("bad", ["0,x", "1,1", "-1,2", ""])
def test_bad_seeds_are_one_line_exit_2(captured, tmp_path, bad):
    result = CliRunner().invoke(
        main, ["audit", "--profile", "ci", "--seeds", bad, "--store", str(tmp_path / "s.sqlite")]
    )
    assert result.exit_code == 2, result.output
    assert result.output.strip().startswith("error:") and "seeds" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "profile" not in captured and not (tmp_path / "s.sqlite").exists()


def test_min_seed_agreement_flag_is_a_gate_flag(captured, tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "audit",
            "--profile",
            "ci",
            "--min-seed-agreement",
            "-1",
            "--store",
            str(tmp_path / "s.sqlite"),
        ],
    )
    assert result.exit_code == 2 and "min-seed-agreement" in result.output
    from auditor.audit.profiles import GateSection
    from auditor.cli.gating import GATE_FLAGS, gate_section

    assert "min_seed_agreement" in GATE_FLAGS
    assert gate_section(GateSection(), min_seed_agreement=2).min_seed_agreement == 2
