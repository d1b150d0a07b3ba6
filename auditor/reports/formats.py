"""Dispatch a report to its format, and write it atomically to a file."""

from __future__ import annotations

import os
import tempfile
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
    """Write the report to ``path`` via a temporary file: never a half-written result."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(report, fmt)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text if text.endswith("\n") else text + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
