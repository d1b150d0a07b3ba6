"""Dispatch a report to its format, and write it atomically to a file."""

from __future__ import annotations

from pathlib import Path

from auditor.core.choices import REPORT_FORMATS
from auditor.reports.document import Report

FORMATS = REPORT_FORMATS


def render_report(report: Report, fmt: str) -> str:
    """The report as text in ``fmt`` (``table`` renders rich output without colour)."""
    if fmt == "json":
        return report.to_json()
    if fmt == "markdown":
        from auditor.reports.markdown import to_markdown

        return to_markdown(report)
    if fmt == "junit":
        from auditor.reports.junit import to_junit

        return to_junit(report)
    if fmt == "csv":
        from auditor.reports.csv_rows import to_csv

        return to_csv(report)
    if fmt == "html":
        from auditor.reports.html import to_html

        return to_html(report)
    if fmt == "table":
        from auditor.reports.terminal import to_text

        return to_text(report)
    raise ValueError(f"unknown format {fmt!r}")


def write_report(report: Report, fmt: str, path: str | Path) -> Path:
    """Write the report to ``path``, replacing it atomically: never a half-written result."""
    from auditor.reports.atomic import write_text

    text = render_report(report, fmt)
    return write_text(path, text if text.endswith("\n") else text + "\n")
