"""The format table: one row a format serves --format, --output's suffixes and the app."""

from __future__ import annotations

import pytest

from auditor.reports.document import Report
from auditor.reports.formats import APP_FORMATS, FORMATS, TABLE, render_report, suffix_format


def test_every_suffix_chooses_its_row_and_others_fall_back():
    for fmt in TABLE:
        for suffix in fmt.suffixes:
            assert suffix_format(f"out{suffix.upper()}", "table") == fmt.name
    assert suffix_format("out.log", "markdown") == "markdown"
    assert FORMATS == ("table", "json", "markdown", "junit", "csv")  # the --format choices
    assert "html" in {f.name for f in APP_FORMATS} and "table" not in {f.name for f in APP_FORMATS}


def test_each_row_renders_with_its_own_writer(two_runs):
    report = Report(two_runs["table"], {"title": "t"})
    assert render_report(report, "json").lstrip().startswith("{")
    assert render_report(report, "junit").startswith("<?xml")
    assert "<html" in render_report(report, "html").lower()
    with pytest.raises(ValueError, match="unknown format"):
        render_report(report, "pdf")
