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
