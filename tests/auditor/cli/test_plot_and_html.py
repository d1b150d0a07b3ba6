"""`spillover plot` and `--output report.html` on compare and gate, from the command line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from auditor.cli import main

from ..lm_eval_fixtures import build_two_runs


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, bbq_root):
    return build_two_runs(tmp_path_factory, bbq_root)


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize(
    "suffix,magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")]
)
def test_plot_two_runs(tmp_path, two_runs, suffix, magic):
    out = tmp_path / f"fig{suffix}"
    result = cli(
        "plot",
        two_runs["a"],
        two_runs["b"],
        "--bbq",
        two_runs["bbq"],
        "--store",
        two_runs["store"],
        "--target",
        "Age",
        "--n-boot",
        200,
        "-o",
        out,
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(magic) and f"wrote {out}" in result.stderr


@pytest.mark.parametrize(
    "args,problem",
    [
        (("--output", "fig.jpg"), "figures are written as .png, .svg, .pdf"),
        (("--store", "missing.sqlite"), "no such file"),
    ],
)
def test_plot_bad_input(tmp_path, two_runs, args, problem, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli(
        "plot",
        two_runs["a"],
        two_runs["b"],
        "--bbq",
        two_runs["bbq"],
        "--store",
        two_runs["store"],
        *args,
    )
    assert result.exit_code == 2 and problem in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "fig.jpg").exists()


def test_compare_and_gate_write_html(tmp_path, two_runs):
    common = ("--bbq", two_runs["bbq"], "--store", two_runs["store"], "--target", "Age")
    page = tmp_path / "report.html"
    result = cli(
        "compare",
        two_runs["a"],
        two_runs["b"],
        *common,
        "--n-boot",
        200,
        "--format",
        "json",
        "--output",
        page,
    )
    assert result.exit_code == 0, result.output
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "<details>" in text
    assert "Gate:" not in text
    gate_page = tmp_path / "gate.html"
    gate = cli("gate", two_runs["a"], two_runs["b"], *common, "--output", gate_page)
    assert gate.exit_code in (0, 1, 2), gate.output
    verdict = {0: "Gate: PASSED", 1: "Gate: FAILED", 2: "Gate: REFUSED"}[gate.exit_code]
    assert verdict in gate_page.read_text()


def test_markdown_links_the_figure_written_beside_it(tmp_path, two_runs):
    (tmp_path / "figs").mkdir()
    figure, md = tmp_path / "figs" / "spill.png", tmp_path / "report.md"
    result = cli(
        "compare",
        two_runs["a"],
        two_runs["b"],
        "--bbq",
        two_runs["bbq"],
        "--store",
        two_runs["store"],
        "--target",
        "Age",
        "--n-boot",
        200,
        "--format",
        "json",
        "--output",
        md,
        "--output",
        figure,
    )
    assert result.exit_code == 0, result.output
    assert figure.read_bytes().startswith(b"\x89PNG")
    assert "](<figs/spill.png>)" in md.read_text()
    alone = tmp_path / "alone.md"
    cli(
        "compare",
        two_runs["a"],
        two_runs["b"],
        "--bbq",
        two_runs["bbq"],
        "--store",
        two_runs["store"],
        "--target",
        "Age",
        "--n-boot",
        200,
        "--output",
        alone,
    )
    assert "![" not in alone.read_text()
