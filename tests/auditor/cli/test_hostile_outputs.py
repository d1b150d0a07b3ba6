"""Hostile cases for report files: reruns into existing outputs, unwritable paths, the
umask's mode, and BBQ text with bidi overrides and control characters in every format."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.bbq import load_bbq, sample
from auditor.cli import main
from auditor.store.db import Store

from ..audit_fixtures import synthetic_runs

pytestmark = pytest.mark.heavy  # scheduled first (tests/conftest.py)

HOSTILE = "\u202eevil\u202c \u2067iso\u2069 \x1b[31mred\x1b[0m \x07\x9b"
RAW = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
REPORTS = ("rep.json", "rep.md", "rep.xml", "rep.csv", "rep.txt", "rep.html")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, bbq_lite):
    """A BBQ folder whose contexts and questions carry bidi overrides and terminal escapes,
    and a store with two runs over its items (the second degrades Physical_appearance)."""
    folder = tmp_path_factory.mktemp("hostile-outputs")
    bbq = folder / "bbq"
    bbq.mkdir()
    for source in sorted(bbq_lite.glob("*.jsonl")):
        rows = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
        for row in rows:
            row["context"] += " " + HOSTILE
            row["question"] = HOSTILE + row["question"]
        (bbq / source.name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    items = sample(load_bbq(bbq).items, per_cell=12, seed=0)
    store = folder / "runs.sqlite"
    with Store(store) as opened:
        run_a, run_b = synthetic_runs(opened, items)
    return {"bbq": bbq, "store": store, "a": run_a, "b": run_b}


def _args(hostile, command: str) -> list[str]:
    base = [
        command,
        hostile["a"],
        hostile["b"],
        "--store",
        str(hostile["store"]),
        "--bbq",
        str(hostile["bbq"]),
    ]
    return base + (
        ["--n-boot", "200"] if command == "compare" else ["--min-paired", "1", "--min-cell", "1"]
    )


def _stale(folder: Path, names) -> dict[Path, float]:
    """Existing outputs from an earlier run: stale text, mode 0600, an old mtime."""
    stale = {}
    for name in names:
        path = folder / name
        path.write_text("stale report of an earlier run\n")
        path.chmod(0o600)
        os.utime(path, (1_000_000, 1_000_000))
        stale[path] = path.stat().st_mtime
    return stale


@pytest.fixture
def umask():
    """Set the process umask for one test and put the old one back."""
    saved = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


@pytest.mark.parametrize("mask", [0o022, 0o027], ids=["umask022", "umask027"])
@pytest.mark.parametrize(("command", "code"), [("compare", 0), ("gate", 1)])
def test_rerun_replaces_existing_outputs_with_the_umasks_mode(
    hostile, tmp_path, umask, mask, command, code
):
    umask(mask)
    names = (*REPORTS, "rep.svg") if mask == 0o022 else REPORTS  # the figure once: slower
    stale = _stale(tmp_path, names)
    outputs = [a for name in names for a in ("--output", str(tmp_path / name))]
    result = CliRunner().invoke(main, [*_args(hostile, command), *outputs, "--format", "json"])
    assert result.exit_code == code, result.output
    for path in stale:
        text = path.read_text(encoding="utf-8")
        assert "stale report" not in text and path.stat().st_mtime > stale[path], path
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, (path, oct(path.stat().st_mode))
    assert json.loads((tmp_path / "rep.json").read_text())["table"]["pairing"]["n_paired"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # no temp file left
    assert result.stderr.count("wrote ") == len(names)


def test_audit_rerun_replaces_existing_outputs(monkeypatch, hostile, tmp_path, umask):
    """`audit --output FILE` into a file an earlier run wrote (the persistent CI workspace)."""
    import auditor.audit.pipeline
    from auditor.audit.comparison import compare_stored
    from auditor.audit.pipeline import AuditResult

    umask(0o022)
    with Store(hostile["store"]) as store:
        table = compare_stored(
            store, hostile["a"], hostile["b"], bbq=str(hostile["bbq"]), n_boot=200
        ).table
    monkeypatch.setattr(
        auditor.audit.pipeline,
        "run_audit",
        lambda profile, **kw: AuditResult(
            "audit-x", profile.to_dict(), hostile["a"], None, hostile["b"], table, ""
        ),
    )
    stale = _stale(tmp_path, REPORTS)
    outputs = [a for name in REPORTS for a in ("--output", str(tmp_path / name))]
    result = CliRunner().invoke(main, ["audit", "--profile", "ci", "--store",
                                       str(hostile["store"]), "--bbq", str(hostile["bbq"]),
                                       *outputs])  # fmt: skip
    assert result.exit_code == 0, result.output
    for path in stale:
        assert "stale report" not in path.read_text(encoding="utf-8"), path
        assert path.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(REPORTS)


def test_plot_replaces_an_existing_figure(hostile, tmp_path, umask):
    umask(0o022)
    figure = tmp_path / "fig.svg"
    _stale(tmp_path, ["fig.svg"])
    result = CliRunner().invoke(main, ["plot", hostile["a"], hostile["b"], "-o", str(figure),
                                       "--n-boot", "100", "--store", str(hostile["store"]),
                                       "--bbq", str(hostile["bbq"])])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert figure.read_text().lstrip().startswith("<?xml")
    assert figure.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["fig.svg"]


UNWRITABLE = "/proc/version.json"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux's /proc")
@pytest.mark.parametrize("command", ["compare", "gate", "audit", "matrix", "plot"])
def test_unwritable_output_fails_at_once(tmp_path, command):
    """Checked before any work: the store named does not even exist, and an audit's model
    cannot load; the one line is about --output, and nothing is written."""
    store = tmp_path / "new.sqlite"
    output = UNWRITABLE if command != "plot" else "/proc/spillover.svg"
    args = {
        "compare": ["compare", "eval-a", "eval-b"],
        "gate": ["gate", "eval-a", "eval-b"],
        "audit": ["audit", "--profile", "ci", "--set", "model.source=/nonexistent/model"],
        "matrix": ["matrix", "--profile", "ci", "--set", "model.source=/nonexistent/model"],
        "plot": ["plot", "eval-a", "eval-b"],
    }[command]
    result = CliRunner().invoke(
        main, [*args, "--store", str(store), "-o" if command == "plot" else "--output", output]
    )
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"error: --output {output}: cannot write files in /proc (No such file or directory)\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a mode-0500 folder")
def test_output_in_a_read_only_folder_fails_at_once(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    result = CliRunner().invoke(main, ["compare", "eval-a", "eval-b", "--store",
                                       str(tmp_path / "new.sqlite"), "--output",
                                       str(folder / "rep.json")])  # fmt: skip
    assert result.exit_code == 2 and "cannot write files in" in result.output
    assert list(folder.iterdir()) == [] and not (tmp_path / "new.sqlite").exists()


@pytest.mark.parametrize("name", ["sub/dir", "file.txt/rep.json"])
def test_output_that_is_a_folder_or_under_a_file(tmp_path, name):
    (tmp_path / "sub" / "dir").mkdir(parents=True)
    (tmp_path / "file.txt").write_text("x")
    result = CliRunner().invoke(main, ["gate", "eval-a", "eval-b", "--store",
                                       str(tmp_path / "new.sqlite"), "--output",
                                       str(tmp_path / name)])  # fmt: skip
    assert result.exit_code == 2 and result.output.startswith("error: --output ")
    assert ("is a folder" if name == "sub/dir" else "is not a folder") in result.output


def test_missing_folders_of_an_output_are_created(hostile, tmp_path):
    out = tmp_path / "new" / "deeper" / "rep.md"
    result = CliRunner().invoke(main, [*_args(hostile, "compare"), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("#")


def test_bbq_text_never_raw_in_any_report_file(hostile, tmp_path):
    """Bidi overrides, isolates, ESC, BEL and C1 from BBQ text are shown as escapes in every
    format written (the HTML shows the flipped items' text); JSON decodes to the same text."""
    outputs = [a for name in (*REPORTS, "rep.svg") for a in ("--output", str(tmp_path / name))]
    result = CliRunner().invoke(main, [*_args(hostile, "compare"), *outputs])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "rep.html").read_text(encoding="utf-8")
    assert "Flipped items" in html and "\\u202eevil\\u202c \\u2067iso\\u2069 \\x1b[31mred" in html
    for name in (*REPORTS, "rep.svg"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert not RAW.search(text), (name, RAW.search(text))
    assert not RAW.search(result.stdout)
