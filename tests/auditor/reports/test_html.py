"""The HTML report: self-contained, escaped, and holding the table, legend, gate and flips."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from auditor.audit.gate import evaluate_gate
from auditor.audit.profiles import GateSection
from auditor.reports import render_report
from auditor.reports.document import Report
from auditor.reports.trajectory import cell_label

EVIL = "<script>alert('x')</script>\x1b[31m"


class Page(HTMLParser):
    """Tags, attributes and text of a document."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.text, self.details = [], [], [], 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]
        self.details += tag == "details"

    def handle_data(self, data):
        self.text.append(data)

    @property
    def body(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture(scope="module")
def report(two_runs):
    table = two_runs["table"]
    gate = evaluate_gate(table, GateSection())
    subject = {"title": f"{two_runs['a']} → {two_runs['b']}", "before": two_runs["a"],
               "after": two_runs["b"], "notes": [f"note with {EVIL}"]}  # fmt: skip
    flips = list(two_runs["flips"])
    flips[0] = {**flips[0], "context": flips[0]["context"] + EVIL}
    return Report(table, subject, gate, flips=tuple(flips))


def test_self_contained_no_fetches(report):
    page = Page(render_report(report, "html"))
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert "svg" in page.tags and "style" in page.tags
    for tag, name, value in page.attrs:
        if name in ("src", "href", "xlink:href"):
            assert value.startswith(("#", "data:")), (tag, name, value)


def test_table_legend_gate_and_flips(report, two_runs):
    table, gate = report.table, report.gate
    page = Page(render_report(report, "html"))
    body = page.body
    assert f"Bias spillover: {two_runs['a']} → {two_runs['b']}" in body
    assert two_runs["a"] in body and "Age (target)" in body
    for row in table.rows:
        for cell in row.cells:
            if cell.accuracy.marker:
                assert cell.accuracy.marker in body
    assert (
        "Gate: REFUSED" if gate.refused else "Gate: PASSED" if gate.passed else "Gate: FAILED"
    ) in body
    for refusal in gate.refusals:
        assert refusal in body
    for failure in gate.failures:
        assert failure.reason in body
    assert "Holm-corrected p over" in body and "DEGRADED" in body or "n.s." in body
    cells = {(f["attribute"], f["context_condition"]) for f in two_runs["flips"]}
    assert page.details == len(cells) > 0
    first = two_runs["flips"][0]
    assert first["question"] in body


def test_bbq_and_model_text_is_escaped(report):
    text = render_report(report, "html")
    page = Page(text)
    assert "script" not in page.tags and "\x1b" not in text
    assert "<script>alert" not in text and "&lt;script&gt;alert" in text
    assert "alert('x')</script>\\x1b[31m" in page.body


def test_without_flips_or_gate(two_runs):
    page = Page(render_report(Report(two_runs["table"], {"title": "t"}), "html"))
    assert page.details == 0 and "Gate:" not in page.body and "Flipped items" not in page.body


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="chromium is not installed",
)
def test_renders_in_headless_chromium(tmp_path, report):
    html = tmp_path / "report.html"
    html.write_text(render_report(report, "html"), encoding="utf-8")
    shot = tmp_path / "shot.png"
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    subprocess.run([browser, "--headless", "--disable-gpu", "--no-sandbox",
                    f"--screenshot={shot}", "--window-size=1200,2000", html.as_uri()],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000


def test_report_json_is_unchanged_by_flips(report):
    assert "flips" not in dataclasses.replace(report, flips=()).to_dict()
    assert report.to_dict().keys() == {
        "schema",
        "subject",
        "table",
        "target_all_items",
        "gate",
        "rotation",
        "format_transfer",
    }


def test_without_matplotlib_the_report_says_so(two_runs, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    page = Page(render_report(Report(two_runs["table"], {"title": "t"}), "html"))
    assert "svg" not in page.tags and "pip install 'spillover[plot]'" in page.body
    assert "Spillover table" in page.body


def _section_rows(text: str, heading: str) -> list[list[str]]:
    """The cells (unescaped) of the first table after ``<h2>heading</h2>``."""
    import html
    import re

    section = text.split(f"<h2>{heading}</h2>", 1)[1].split("</table>", 1)[0]
    return [
        [html.unescape(c) for c in re.findall(r"<t[hd]>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", section)
    ]


def test_the_trajectory_is_the_markdown_table_escaped(trajectory_tables):
    from auditor.audit.trajectory import Trajectory
    from auditor.reports.trajectory import grid, markdown_lines

    same, worse = trajectory_tables
    traj = Trajectory.from_tables([(10, same), (20, worse)], final_step=20)
    text = render_report(Report(worse, {"title": "t"}, trajectory=traj), "html")
    rows = _section_rows(text, "Spillover over training")
    head, body = grid(traj)
    assert rows == [head, *body] and head[-1] == "first degraded"
    assert len(body) == len(traj.cells) and "step 20 (final)" in head
    shown = {r[0]: r[-1] for r in body}
    path = traj.cell("Physical_appearance", "ambig", "accuracy")
    assert path.first_degraded == 20 and shown[cell_label(path)] == "20"
    for path in traj.cells:  # every cell's first degraded step, as Markdown says
        assert shown[cell_label(path)] == ("—" if path.first_degraded is None else "20")
    assert f"| {head[0]} | {head[1]} | {head[2]} | {head[3]} |" in markdown_lines(traj)
    assert "Spillover over training" not in render_report(Report(worse, {"title": "t"}), "html")


def test_trajectory_text_is_escaped():
    from auditor.audit.trajectory import CellPath, Point, Trajectory

    path = CellPath(EVIL, "ambig", "accuracy", False, (Point(3, -0.2, None, "degraded", "▼*"),))
    traj = Trajectory((3,), (path,), final_step=3)
    table_report = Report(_one_cell_table(), {"title": "t"}, trajectory=traj)
    text = render_report(table_report, "html")
    assert "<script>alert" not in text and "\x1b" not in text
    rows = _section_rows(text, "Spillover over training")
    assert rows[1][0].startswith("<script>alert('x')</script>\\x1b[31m / ambig")
    assert rows[1][1:] == ["-20.0 pp ▼*", "3"]


def _one_cell_table():
    from auditor.stats.table import AccuracyChange, BiasChange, Cell, Pairing, Row, SpilloverTable

    acc = AccuracyChange(10, 2, 0, 0.5, 0.3, -0.2, None, None, None, None, 0.5, 0.5)
    cell = Cell("Age", "ambig", acc, BiasChange(0.0, 0.0, 0.0, None, 1.0))
    return SpilloverTable(("Age",), ("Age",), Pairing(10, 0, 0), (Row("Age", True, (cell,)),))
