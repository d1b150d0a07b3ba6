"""Report formats for a spillover table (and an optional gate result).

``table`` (rich, for terminals), ``json`` (schema ``spillover.report/2``), ``markdown``
(a CI job summary), ``junit`` (one test case per attribute × context) and ``csv``.
"""

from __future__ import annotations

from auditor.reports.formats import FORMATS, render_report, write_report

__all__ = ["FORMATS", "render_report", "write_report"]
