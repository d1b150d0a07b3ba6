"""Metrics and paired statistics: per-run summaries and the spillover table.

Pure numpy/scipy: accuracy with Wilson CIs, BBQ bias scores (Parrish et al. 2022) with a
cluster bootstrap over template instances, McNemar tests with Newcombe's paired CI,
and Holm / Benjamini–Hochberg corrections over the table's family of tests.
"""

from __future__ import annotations

from auditor.stats.compare import (
    compare_attribute,
    compare_cell,
    compare_runs,
    pair_runs,
    start_table,
)
from auditor.stats.frame import Frame, build_frame
from auditor.stats.summary import ALL, RunSummary, SliceMetrics, summarize_run
from auditor.stats.table import (
    COLUMNS,
    DEGRADED,
    IMPROVED,
    NO_CHANGE,
    PENDING,
    UNDEFINED,
    AccuracyChange,
    BiasChange,
    Cell,
    Pairing,
    Row,
    SpilloverTable,
)

__all__ = [
    "ALL",
    "COLUMNS",
    "DEGRADED",
    "IMPROVED",
    "NO_CHANGE",
    "PENDING",
    "UNDEFINED",
    "AccuracyChange",
    "BiasChange",
    "Cell",
    "Frame",
    "Pairing",
    "Row",
    "RunSummary",
    "SliceMetrics",
    "SpilloverTable",
    "build_frame",
    "compare_attribute",
    "compare_cell",
    "compare_runs",
    "pair_runs",
    "start_table",
    "summarize_run",
]
