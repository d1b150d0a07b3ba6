"""CSV: one row per attribute × context × metric, every number of the table.

With seed replicates, ``seeds`` is their number, ``seed_deltas`` every seed's own Δ
(``;``-separated, in the table's seed order) and ``agreement`` how many seeds share the
row's verdict; the other columns hold the pooled comparison (b and c summed over seeds).

The last column, ``table``, says which table a row belongs to: ``spillover`` (the audit's
own format), ``format_transfer`` (the same models in an untrained format), ``bias_gap``
(the bias-aligned accuracy gap, disambiguated contexts), ``spillover:conventions`` (the
bias score under lm-eval's and HELM's conventions, metric ``bias:lm-eval`` /
``bias:helm``) or ``rotation`` (position bias
and order consistency over all items).
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from auditor.reports.alternatives import convention_rows
from auditor.reports.document import Report
from auditor.stats.table import AccuracyChange, BiasChange, SpilloverTable

if TYPE_CHECKING:
    from _csv import Writer

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


def _table_rows(writer: Writer, table: SpilloverTable, name: str) -> None:
    for attribute in table.attributes:
        for context in ("ambig", "disambig", "overall"):
            cell = table.cell(attribute, context)
            if cell is None:
                continue
            acc, bias = cell.accuracy, cell.bias
            target = attribute in table.target
            writer.writerow(
                (
                    attribute,
                    target,
                    context,
                    "accuracy",
                    acc.n,
                    acc.before,
                    acc.after,
                    acc.delta,
                    *(acc.ci or ("", "")),
                    acc.p,
                    acc.p_corrected,
                    acc.marker,
                    acc.verdict,
                    acc.b,
                    acc.c,
                    _blank(acc.mde),
                    *_seeds(acc),
                    name,
                )
            )
            writer.writerow(
                (
                    attribute,
                    target,
                    context,
                    "bias",
                    acc.n,
                    bias.before,
                    bias.after,
                    bias.delta,
                    *(bias.ci or ("", "")),
                    bias.p,
                    bias.p_corrected,
                    bias.marker,
                    bias.verdict,
                    "",
                    "",
                    "",
                    *_seeds(bias),
                    name,
                )
            )
    for gap in getattr(table, "gaps", ()):
        writer.writerow(
            (
                gap.attribute,
                gap.attribute in table.target,
                "disambig",
                "bias_aligned_accuracy_gap",
                gap.n_biased + gap.n_anti_biased,
                gap.before,
                gap.after,
                gap.delta,
                *(gap.ci or ("", "")),
                gap.p,
                gap.p_corrected,
                gap.marker,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                f"{name}:bias_gap",
            )
        )


def _rotation_rows(writer: Writer, rot: dict[str, Any], name: str = "rotation") -> None:
    if "seeds" in rot:  # seed replicates: one pair of rows per seed
        for seed, one in rot["seeds"].items():
            _rotation_rows(writer, one, f"rotation:seed{seed}")
        return
    pb, pa = rot["position_before"], rot["position_after"]
    ci = rot["distance_ci"] or ("", "")
    writer.writerow(
        (
            "all",
            "",
            "all",
            "position_bias",
            pb["n"],
            pb["distance"],
            pa["distance"],
            rot["distance_delta"],
            *ci,
            rot["distance_p"],
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            name,
        )
    )
    cb, ca = rot["consistency_before"], rot["consistency_after"]
    writer.writerow(
        (
            "all",
            "",
            "all",
            "order_consistency",
            cb["n"],
            cb["share"],
            ca["share"],
            rot["consistency_delta"],
            "",
            "",
            rot["consistency_p"],
            "",
            "",
            "",
            rot["b"],
            rot["c"],
            "",
            "",
            "",
            "",
            name,
        )
    )


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    _table_rows(writer, report.table, "spillover")
    convention_rows(writer, report.table, "spillover")
    if report.transfer is not None:
        _table_rows(writer, report.transfer, "format_transfer")
    if report.rotation is not None:
        _rotation_rows(writer, report.rotation)
    return out.getvalue()


def _blank(value: object) -> object:
    return "" if value is None else value


def _seeds(change: AccuracyChange | BiasChange) -> tuple[object, object, object]:
    if not change.seeds:
        return ("", "", "")
    deltas = ";".join("" if s.delta is None else repr(s.delta) for s in change.seeds)
    return (len(change.seeds), deltas, change.agreement)
