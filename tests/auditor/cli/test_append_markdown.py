"""`--append-markdown FILE` on compare, gate and audit: the Markdown report appended to a
file of any name (a CI job summary), never truncating it, and nothing on bad input."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from auditor.bbq import load_bbq, sample
from auditor.cli import main
from auditor.store.db import Store

from ..audit_fixtures import synthetic_runs

EARLIER = "# Job summary\n\nwritten by an earlier step"  # no final newline


@pytest.fixture(scope="module")
def runs(tmp_path_factory, bbq_lite):
    """A store with two runs over real BBQ-lite items (the second degrades
    Physical_appearance)."""
    folder = tmp_path_factory.mktemp("append-markdown")
    items = sample(load_bbq(bbq_lite).items, per_cell=12, seed=0)
    store = folder / "runs.sqlite"
    with Store(store) as opened:
        run_a, run_b = synthetic_runs(opened, items)
    return {"bbq": str(bbq_lite), "store": str(store), "a": run_a, "b": run_b}


def _args(runs, command: str) -> list[str]:
    base = [command, runs["a"], runs["b"], "--store", runs["store"], "--bbq", runs["bbq"]]
    return base + (
        ["--n-boot", "200"] if command == "compare" else ["--min-paired", "1", "--min-cell", "1"]
    )


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize(("command", "code"), [("compare", 0), ("gate", 1)])
def test_two_appends_keep_the_earlier_content_and_both_reports(runs, tmp_path, command, code):
    """The summary has no suffix (as $GITHUB_STEP_SUMMARY); what is appended is exactly
    what --format markdown prints, after a blank line, and a second run appends again."""
    summary = tmp_path / "step_summary_abc"
    summary.write_text(EARLIER, encoding="utf-8")
    markdown = _invoke(*_args(runs, command), "--format", "markdown")
    assert markdown.exit_code == code, markdown.output
    first = _invoke(*_args(runs, command), "--append-markdown", summary)
    assert first.exit_code == code, first.output
    assert f"appended to {summary}" in first.stderr
    assert summary.read_text(encoding="utf-8") == EARLIER + "\n\n" + markdown.stdout
    second = _invoke(*_args(runs, command), "--append-markdown", summary, "--format", "json")
    assert second.exit_code == code, second.output
    text = summary.read_text(encoding="utf-8")
    assert text == EARLIER + "\n\n" + markdown.stdout + "\n" + markdown.stdout
    heading = f"## Bias spillover: {runs['a'][:8]}"
    assert text.count("## Bias spillover: ") == 2 and heading in markdown.stdout.splitlines()[0]


def test_a_new_file_is_created_with_the_report_alone(runs, tmp_path):
    out = tmp_path / "deeper" / "summary"
    result = _invoke(*_args(runs, "gate"), "--append-markdown", out, "--gate-mode",
                     "noninferiority", "--format", "markdown")  # fmt: skip
    assert result.exit_code in (1, 4), result.output
    assert out.read_text(encoding="utf-8") == result.stdout
    assert "Non-inferiority" in result.stdout or "non-inferior" in result.stdout


def test_every_file_named_gets_the_report(runs, tmp_path):
    a, b = tmp_path / "one", tmp_path / "two.md"
    result = _invoke(*_args(runs, "compare"), "--append-markdown", a, "--append-markdown", b)
    assert result.exit_code == 0, result.output
    assert a.read_text() == b.read_text() and a.read_text().startswith("## Bias spillover: ")


@pytest.mark.parametrize(
    "bad",
    [
        ["--store", "{tmp}/missing.sqlite"],  # a store that does not exist
        ["--n-boot", "0"],  # a flag out of its range
        ["--correction", "bonferroni"],  # a choice that does not exist
    ],
    ids=["missing-store", "bad-range", "bad-choice"],
)
def test_bad_input_appends_nothing(runs, tmp_path, bad):
    summary = tmp_path / "summary"
    summary.write_text(EARLIER)
    args = [a.replace("{tmp}", str(tmp_path)) for a in bad]
    result = _invoke(*_args(runs, "compare"), *args, "--append-markdown", summary)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert summary.read_text() == EARLIER
    fresh = tmp_path / "fresh"
    again = _invoke(*_args(runs, "compare"), *args, "--append-markdown", fresh)
    assert again.exit_code == 2 and not fresh.exists()


def test_an_unknown_run_appends_nothing(runs, tmp_path):
    summary = tmp_path / "summary"
    summary.write_text(EARLIER)
    result = _invoke("gate", runs["a"], "eval-nonexistent", "--store", runs["store"],
                     "--append-markdown", summary)  # fmt: skip
    assert result.exit_code == 2 and result.output.startswith("error: ")
    assert len(result.output.splitlines()) == 1 and summary.read_text() == EARLIER


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("folder", "is a folder; name a file"),
        ("twice", "named twice"),
        ("also-output", "also an --output; name it once"),
        ("under-a-file", "is not a folder"),
    ],
)
def test_unusable_append_paths_fail_at_once(runs, tmp_path, case, message):
    """One line, exit 2, before the store is even opened (it does not exist)."""
    (tmp_path / "file.txt").write_text("x")
    summary = str(tmp_path / "summary")
    extra = {
        "folder": ["--append-markdown", str(tmp_path)],
        "twice": ["--append-markdown", summary, "--append-markdown", summary],
        "also-output": ["--output", summary, "--append-markdown", summary],
        "under-a-file": ["--append-markdown", str(tmp_path / "file.txt" / "summary")],
    }[case]
    store = tmp_path / "new.sqlite"
    for order in (extra, extra[2:] + extra[:2]):  # either option first on the line
        result = _invoke("compare", "eval-a", "eval-b", "--store", store, *order)
        assert result.exit_code == 2, result.output
        assert len(result.output.splitlines()) == 1 and message in result.output, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


@pytest.mark.skipif(__import__("os").geteuid() == 0, reason="root may write a 0400 file")
def test_a_file_that_cannot_be_appended_to_fails_at_once(tmp_path):
    summary = tmp_path / "summary"
    summary.write_text(EARLIER)
    summary.chmod(0o400)
    result = _invoke("compare", "eval-a", "eval-b", "--store", tmp_path / "new.sqlite",
                     "--append-markdown", summary)  # fmt: skip
    assert result.exit_code == 2 and "cannot append to it (Permission denied)" in result.output
    assert summary.read_text() == EARLIER and not (tmp_path / "new.sqlite").exists()


def test_audit_appends_its_report(monkeypatch, runs, tmp_path):
    """`audit --append-markdown` (the stored audit stands in for a run of the pipeline)."""
    import auditor.audit.pipeline
    from auditor.audit.comparison import compare_stored
    from auditor.audit.pipeline import AuditResult

    with Store(runs["store"]) as store:
        table = compare_stored(store, runs["a"], runs["b"], bbq=runs["bbq"], n_boot=200).table
    monkeypatch.setattr(
        auditor.audit.pipeline,
        "run_audit",
        lambda profile, **kw: AuditResult(
            "audit-x", profile.to_dict(), runs["a"], None, runs["b"], table, ""
        ),
    )
    summary = tmp_path / "summary"
    summary.write_text(EARLIER + "\n")
    args = ["audit", "--profile", "ci", "--store", runs["store"], "--bbq", runs["bbq"]]
    markdown = _invoke(*args, "--format", "markdown")
    assert markdown.exit_code == 0, markdown.output
    result = _invoke(*args, "--append-markdown", summary)
    assert result.exit_code == 0, result.output
    assert summary.read_text() == EARLIER + "\n\n" + markdown.stdout
    assert "audit-x" in markdown.stdout.splitlines()[0]
    refused = _invoke(*args, "--matrix", "--append-markdown", summary)
    assert refused.exit_code == 2 and "does not append Markdown" in refused.output


def test_a_path_with_control_characters_is_shown_escaped(runs, tmp_path):
    summary = tmp_path / "sum\x1b[31mmary"
    result = _invoke(*_args(runs, "compare"), "--append-markdown", summary)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stderr and "appended to " in result.stderr
    assert summary.read_text().startswith("## Bias spillover: ")


def test_a_gate_that_cannot_judge_appends_its_refusal(runs, tmp_path):
    """Exit 2 from the gate's own judgement is a report (REFUSED, with its reasons): it is
    written and appended like any other, unlike bad input."""
    out, summary = tmp_path / "rep.md", tmp_path / "summary"
    result = _invoke("gate", runs["a"], runs["b"], "--store", runs["store"], "--bbq",
                     runs["bbq"], "--min-paired", "100000", "--output", out,
                     "--append-markdown", summary)  # fmt: skip
    assert result.exit_code == 2 and "gate cannot judge" in result.stderr
    assert "REFUSED" in summary.read_text() and summary.read_text() == out.read_text()


def test_emit_without_appends_takes_the_commands_own(runs, tmp_path):
    """A command path that calls emit(report, fmt, outputs) alone still appends what its
    --append-markdown named (none is dropped); outside a command nothing is appended."""
    import click

    from auditor.audit.report import runs_report
    from auditor.cli.options import emit, report_options

    with Store(runs["store"], readonly=True) as store:
        report, _ = runs_report(store, runs["a"], runs["b"], bbq=runs["bbq"],
                                target=("Gender_identity",), stats={"n_boot": 200})  # fmt: skip

    @click.command()
    @report_options
    def cmd(fmt, outputs, appends):
        emit(report, fmt, outputs)

    summary = tmp_path / "summary"
    result = CliRunner().invoke(cmd, ["--append-markdown", str(summary), "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert summary.read_text() == result.stdout
    emit(report, "json", ())
    assert summary.read_text() == result.stdout


def test_each_targets_report_is_appended_in_one_append(monkeypatch, runs, tmp_path):
    """`[align] targets`: every target's report, in order, in one append (the stored
    comparison stands in for each target's audit)."""
    import auditor.audit.grids
    from auditor.audit.comparison import compare_stored
    from auditor.audit.pipeline import AuditResult

    with Store(runs["store"]) as store:
        table = compare_stored(store, runs["a"], runs["b"], bbq=runs["bbq"], n_boot=200).table
    done = {
        ("dpo", (t,)): AuditResult(f"audit-{t}", {}, runs["a"], None, runs["b"], table, "")
        for t in ("Gender_identity", "Age")
    }
    monkeypatch.setattr(auditor.audit.grids, "run_recipes", lambda profile, **kw: done)
    args = ["audit", "--profile", "ci", "--store", runs["store"], "--bbq", runs["bbq"],
            "--set", 'align.targets=["Gender_identity", "Age"]']  # fmt: skip
    markdown = _invoke(*args, "--format", "markdown")
    assert markdown.exit_code == 0, markdown.output
    summary = tmp_path / "summary"
    result = _invoke(*args, "--append-markdown", summary, "--format", "json")
    assert result.exit_code == 0, result.output
    second = "## Bias spillover: audit audit-Age"
    apart = markdown.stdout.replace(f"\n{second}", f"\n\n{second}")  # a blank line between
    assert summary.read_text() == apart != markdown.stdout
    assert result.stderr.count("appended to") == 1
    headings = [ln for ln in markdown.stdout.splitlines() if ln.startswith("## Bias spillover")]
    assert [("audit-Gender\\_identity" in h, "audit-Age" in h) for h in headings] == [
        (True, False),
        (False, True),
    ]
