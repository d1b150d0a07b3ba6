"""CSV: one row per attribute × context × metric, every number of the table.

With seed replicates, ``seeds`` is their number, ``seed_deltas`` every seed's own Δ
(``;``-separated, in the table's seed order) and ``agreement`` how many seeds share the
row's verdict; the other columns hold the pooled comparison (b and c summed over seeds).

The column ``table`` (the last, but for a trajectory's ``step``) says which table a row
belongs to: ``spillover`` (the audit's own format), ``format_transfer`` (the same models
in an untrained format), ``bias_gap`` (the bias-aligned accuracy gap, disambiguated
contexts), ``spillover:conventions`` (the bias score under lm-eval's and HELM's
conventions, metric ``bias:lm-eval`` / ``bias:helm``), ``rotation`` (position bias and
order consistency over all items) or ``trajectory`` (Δ per cell at each training step;
only a report with a trajectory has the ``step`` column, after ``table``, so every other
CSV reads as before).

Every row is built as a dict keyed by column name and written against ``HEADER``
(``csv.DictWriter``: a column a row leaves out is blank, a key not in the header raises).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from auditor.reports.document import Report
from auditor.stats.table import AccuracyChange, BiasChange, SpilloverTable

if TYPE_CHECKING:
    from auditor.audit.trajectory import Trajectory

HEADER = (
    "attribute",
    "is_target",
    "context",
    "metric",
    "n",
    "before",
    "after",
    "delta",
    "ci_low",
    "ci_high",
    "p",
    "p_corrected",
    "marker",
    "verdict",
    "b",
    "c",
    "mde",
    "seeds",
    "seed_deltas",
    "agreement",
    "table",
)

Row = dict[str, object]


def table_rows(table: SpilloverTable, name: str) -> Iterator[Row]:
    """The rows of one table: accuracy and bias per cell, then the bias-aligned gaps."""
    for attribute in table.attributes:
        for context in ("ambig", "disambig", "overall"):
            cell = table.cell(attribute, context)
            if cell is None:
                continue
            acc, bias = cell.accuracy, cell.bias
            where = {
                "attribute": attribute,
                "is_target": attribute in table.target,
                "context": context,
                "n": acc.n,
                "table": name,
            }
            yield {
                **where,
                "metric": "accuracy",
                **_change(acc),
                "b": acc.b,
                "c": acc.c,
                "mde": acc.mde,
            }
            yield {**where, "metric": "bias", **_change(bias)}
    for gap in getattr(table, "gaps", ()):
        yield {
            "attribute": gap.attribute,
            "is_target": gap.attribute in table.target,
            "context": "disambig",
            "metric": "bias_aligned_accuracy_gap",
            "n": gap.n_biased + gap.n_anti_biased,
            **_values(gap),
            "table": f"{name}:bias_gap",
        }


def rotation_rows(rot: dict[str, Any], name: str = "rotation") -> Iterator[Row]:
    """Position bias and order consistency over all items (a pair of rows per seed)."""
    if "seeds" in rot:  # seed replicates: one pair of rows per seed
        for seed, one in rot["seeds"].items():
            yield from rotation_rows(one, f"rotation:seed{seed}")
        return
    pb, pa = rot["position_before"], rot["position_after"]
    low, high = rot["distance_ci"] or ("", "")
    everything = {"attribute": "all", "context": "all", "table": name}
    yield {
        **everything,
        "metric": "position_bias",
        "n": pb["n"],
        "before": pb["distance"],
        "after": pa["distance"],
        "delta": rot["distance_delta"],
        "ci_low": low,
        "ci_high": high,
        "p": rot["distance_p"],
    }
    cb, ca = rot["consistency_before"], rot["consistency_after"]
    yield {
        **everything,
        "metric": "order_consistency",
        "n": cb["n"],
        "before": cb["share"],
        "after": ca["share"],
        "delta": rot["consistency_delta"],
        "p": rot["consistency_p"],
        "b": rot["b"],
        "c": rot["c"],
    }


def trajectory_rows(traj: Trajectory) -> Iterator[Row]:
    """Per cell, its Δ at each step (``step``), then the step it first degraded (metric
    ``accuracy:first_degraded``, blank ``step``: at no step) and, under non-inferiority,
    the first step whose bound is not below its margin (``accuracy:first_inconclusive``)."""
    for path in traj.cells:
        where = {
            "attribute": path.attribute,
            "is_target": path.is_target,
            "context": path.context,
            "table": "trajectory",
        }
        for point in path.points:
            low, high = point.ci or ("", "")
            yield {
                **where,
                "metric": path.metric,
                "step": point.step,
                "delta": point.delta,
                "ci_low": low,
                "ci_high": high,
                "marker": point.marker,
                "verdict": point.verdict,
            }
        yield {**where, "metric": f"{path.metric}:first_degraded", "step": path.first_degraded}
        if path.margin is not None:
            yield {
                **where,
                "metric": f"{path.metric}:first_inconclusive",
                "step": path.first_inconclusive,
            }


def convention_rows(table: SpilloverTable, name: str) -> Iterator[Row]:
    """lm-eval's and HELM's bias scores, by column (BBQ's are the table's own rows)."""
    for cell in table.conventions:
        for change in cell.changes[1:]:
            yield {
                "attribute": cell.attribute,
                "is_target": cell.attribute in table.target,
                "context": cell.context,
                "metric": f"bias:{change.convention}",
                **_values(change),
                "verdict": change.verdict,
                "table": f"{name}:conventions",
            }


def report_rows(report: Report) -> Iterator[Row]:
    """Every row of the report's CSV, in order."""
    yield from table_rows(report.table, "spillover")
    yield from convention_rows(report.table, "spillover")
    if report.transfer is not None:
        yield from table_rows(report.transfer, "format_transfer")
    if report.rotation is not None:
        yield from rotation_rows(report.rotation)
    if report.trajectory is not None:
        yield from trajectory_rows(report.trajectory)


def header(report: Report) -> tuple[str, ...]:
    """``HEADER``, and ``step`` after it when the report has a trajectory (a report
    without one keeps the header it always had)."""
    return HEADER if report.trajectory is None else (*HEADER, "step")


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, header(report), restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(report_rows(report))
    return out.getvalue()


def _values(change: Any) -> Row:
    """A change's before, after, Δ, CI, p values and marker, by column."""
    low, high = change.ci or ("", "")
    return {
        "before": change.before,
        "after": change.after,
        "delta": change.delta,
        "ci_low": low,
        "ci_high": high,
        "p": change.p,
        "p_corrected": change.p_corrected,
        "marker": change.marker,
    }


def _change(change: AccuracyChange | BiasChange) -> Row:
    """``_values`` with the verdict and the seed replicates' columns."""
    row = {**_values(change), "verdict": change.verdict}
    if change.seeds:
        deltas = ";".join("" if s.delta is None else repr(s.delta) for s in change.seeds)
        row.update(seeds=len(change.seeds), seed_deltas=deltas, agreement=change.agreement)
    return row
