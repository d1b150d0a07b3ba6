"""The report formats, described once: name, file suffixes, renderer and label serve
``--format``, ``--output``'s suffix inference and the app's export choices alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from auditor.reports.document import Report


def _table(report: Report) -> str:
    from auditor.reports.terminal import to_text

    return to_text(report)


def _json(report: Report) -> str:
    return report.to_json()


def _markdown(report: Report) -> str:
    from auditor.reports.markdown import to_markdown

    return to_markdown(report)


def _junit(report: Report) -> str:
    from auditor.reports.junit import to_junit

    return to_junit(report)


def _csv(report: Report) -> str:
    from auditor.reports.csv_rows import to_csv

    return to_csv(report)


def _html(report: Report) -> str:
    from auditor.reports.html import to_html

    return to_html(report)


@dataclass(frozen=True)
class Format:
    """One report format. ``stdout``: a ``--format`` choice; ``app``: offered by the
    app's export; ``suffixes``: the ``--output`` suffixes that choose it (the first is
    the app's file extension)."""

    name: str
    suffixes: tuple[str, ...]
    render: Callable[[Report], str]
    label: str
    stdout: bool = True
    app: bool = True


TABLE: tuple[Format, ...] = (
    Format("table", (".txt",), _table, "Text (the terminal table)", app=False),
    Format("json", (".json",), _json, "JSON (the full report)"),
    Format("markdown", (".md", ".markdown"), _markdown, "Markdown (a CI job summary)"),
    Format("junit", (".xml",), _junit, "JUnit XML"),
    Format("csv", (".csv",), _csv, "CSV"),
    Format("html", (".html", ".htm"), _html, "HTML (with the flipped items)", stdout=False),
)
BY_NAME = {f.name: f for f in TABLE}
FORMATS: tuple[str, ...] = tuple(f.name for f in TABLE if f.stdout)
"""The ``--format`` choices (HTML is written to a file only)."""
APP_FORMATS: tuple[Format, ...] = tuple(f for f in TABLE if f.app)
"""The app's export choices, in the order it lists them."""
_SUFFIXES = {s: f.name for f in TABLE for s in f.suffixes}


def suffix_format(path: str | Path, default: str) -> str:
    """The format an ``--output`` file's suffix chooses, else ``default``."""
    return _SUFFIXES.get(Path(path).suffix.lower(), default)


def render_report(report: Report, fmt: str) -> str:
    """The report as text in ``fmt`` (``table`` renders rich output without colour)."""
    if fmt not in BY_NAME:
        raise ValueError(f"unknown format {fmt!r}")
    return BY_NAME[fmt].render(report)


def write_report(report: Report, fmt: str, path: str | Path) -> Path:
    """Write the report to ``path``, replacing it atomically: never a half-written result."""
    from auditor.reports.atomic import write_text

    text = render_report(report, fmt)
    return write_text(path, text if text.endswith("\n") else text + "\n")
