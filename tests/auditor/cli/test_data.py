"""`spillover data info | verify | fetch` through click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from auditor.cli import main

from ..helpers import serve_folder


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.delenv("SPILLOVER_BBQ", raising=False)
    monkeypatch.delenv("SPILLOVER_BBQ_BASE_URL", raising=False)
    monkeypatch.setenv("SPILLOVER_DATA_DIR", str(tmp_path / "home"))


def run(*args):
    return CliRunner().invoke(main, ["data", *args])


def test_info_lite_table(bbq_lite):
    result = run("info", str(bbq_lite))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].split() == [
        "attribute",
        "items",
        "ambig/neg",
        "ambig/nonneg",
        "disambig/neg",
        "disambig/nonneg",
        "instances",
        "exceptions",
    ]
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:12]}
    assert len(rows) == 10 and rows["total"][0] == "16,076"
    assert rows["Age"] == ["1,344", "336", "336", "336", "336", "323", "0"]
    assert "232 items have no derivable biased option" in result.output


def test_info_json(bbq_lite):
    result = run("info", str(bbq_lite), "--format", "json")
    assert result.exit_code == 0
    summary = json.loads(result.output)
    assert summary["items"] == 16076 and len(summary["attributes"]) == 9
    assert summary["attributes"]["Race_ethnicity"]["exceptions"] == 192
    assert summary["attributes"]["SES"]["cells"]["disambig/nonneg"] == 496


def test_info_uses_the_env_var(monkeypatch, bbq_official):
    monkeypatch.setenv("SPILLOVER_BBQ", str(bbq_official))
    summary = json.loads(run("info", "--format", "json").output)
    assert summary["items"] == 11956 and summary["exceptions"] == 0


def test_info_without_data_is_exit_2():
    result = run("info")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: no BBQ data: pass --bbq DIR, set SPILLOVER_BBQ, or run `spillover data fetch`\n"
    )


def test_info_bad_file_is_exit_2_with_one_line(tmp_path, bbq_lite):
    lines = (bbq_lite / "Religion.jsonl").read_text(encoding="utf-8").splitlines()[:5]
    row = json.loads(lines[2])
    del row["context"]
    lines[2] = json.dumps(row)
    (tmp_path / "Religion.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("info", str(tmp_path))
    assert result.exit_code == 2
    assert (
        result.stderr == f"error: {tmp_path / 'Religion.jsonl'}:3: field 'context': missing field\n"
    )
    assert "Traceback" not in result.output


def _unknown(row):
    return next(i for i in range(3) if row["answer_info"][f"ans{i}"][1] == "unknown")


BAD_ROWS = {  # case -> (edit of row 3 of Religion.jsonl, field named in the error)
    "invalid JSON": (lambda r: "{not json", None),
    "missing field": (lambda r: r.pop("question") and None, "question"),
    "unexpected field": (lambda r: r.update(extra=1), "extra"),
    "wrong type": (lambda r: r.update(example_id="7"), "example_id"),
    "label out of range": (lambda r: r.update(label=5), "label"),
    "two unknown options": (
        lambda r: r["answer_info"].update(ans0=[r["ans0"], "unknown"], ans1=[r["ans1"], "unknown"]),
        "answer_info",
    ),
    "unknown category": (lambda r: r.update(category="Height"), "category"),
    "label vs context": (
        lambda r: r.update(context_condition="ambig", label=(_unknown(r) + 1) % 3),
        "label",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_every_bad_row_is_exit_2_with_one_line(case, tmp_path, bbq_lite):
    lines = (bbq_lite / "Religion.jsonl").read_text(encoding="utf-8").splitlines()[:6]
    edit, field = BAD_ROWS[case]
    row = json.loads(lines[2])
    replaced = edit(row)
    lines[2] = replaced if isinstance(replaced, str) else json.dumps(row)
    (tmp_path / "Religion.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("info", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"error: {tmp_path / 'Religion.jsonl'}:3:")
    if field:
        assert f"field '{field}'" in result.stderr


@pytest.mark.parametrize("case", ["empty file", "duplicate ids", "missing folder"])
def test_bad_files_are_exit_2_with_one_line(case, tmp_path, bbq_lite):
    lines = (bbq_lite / "Religion.jsonl").read_text(encoding="utf-8").splitlines()[:4]
    target = tmp_path / "Religion.jsonl"
    if case == "empty file":
        target.write_text("")
    elif case == "duplicate ids":
        target.write_text("\n".join([*lines, lines[1]]) + "\n")
    result = run("info", str(tmp_path if case != "missing folder" else tmp_path / "nope"))
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")


def test_verify_official_six_ok_five_missing(bbq_official):
    result = run("verify", str(bbq_official))
    assert result.exit_code == 0
    assert "6 ok, 0 mismatch, 5 missing data files" in result.output
    assert "supplemental/additional_metadata.csv missing (optional" in result.output
    payload = json.loads(run("verify", str(bbq_official), "--format", "json").output)
    assert (payload["ok"], payload["mismatch"], payload["missing"]) == (6, 0, 5)
    assert payload["supplemental"] == {"supplemental/additional_metadata.csv": "missing"}
    missing = {f["path"] for f in payload["files"] if f["status"] == "missing"}
    assert "supplemental/additional_metadata.csv" in missing and len(missing) == 6


def test_verify_strict_and_mismatch_exit_1(bbq_official, bbq_lite):
    assert run("verify", str(bbq_official), "--strict").exit_code == 1
    result = run("verify", str(bbq_lite), "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.output)["mismatch"] == 9  # same names, other content


def test_verify_missing_folder_exit_2(tmp_path):
    result = run("verify", str(tmp_path / "nope"))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1


@pytest.fixture
def mirror(tmp_path_factory, bbq_official):
    """A local HTTP server with two official files under data/; the rest are 404."""
    root = tmp_path_factory.mktemp("mirror")
    (root / "data").mkdir()
    for name in ("Religion", "Sexual_orientation"):
        (root / "data" / f"{name}.jsonl").symlink_to(bbq_official / f"{name}.jsonl")

    with serve_folder(root) as url:
        yield url


def test_fetch_reports_each_file_and_default_destination(tmp_path, mirror):
    result = run("fetch", "--base-url", mirror)
    assert result.exit_code == 1  # ten files are not on the mirror
    dest = tmp_path / "home" / "bbq"
    assert f"into {dest}" in result.output
    assert "fetched  data/Religion.jsonl" in result.output
    assert "failed   data/Age.jsonl  HTTP 404" in result.output
    assert "2 ok, 10 failed" in result.output
    assert (dest / "data" / "Sexual_orientation.jsonl").is_file()
    again = run("fetch", "--base-url", mirror, "--dest", str(dest))
    assert "skipped  data/Religion.jsonl" in again.output
    info = json.loads(run("info", "--format", "json").output)  # the fetched copy is found
    assert info["items"] == 1200 + 864


def test_real_subprocess_run(bbq_official):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "auditor", "data", "verify", str(bbq_official), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] == 6
