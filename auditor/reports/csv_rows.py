"""CSV: one row per attribute × context × metric, every number of the table.

With seed replicates, ``seeds`` is their number, ``seed_deltas`` every seed's own Δ
(``;``-separated, in the table's seed order) and ``agreement`` how many seeds share the
row's verdict; the other columns hold the pooled comparison (b and c summed over seeds).
"""

from __future__ import annotations

import csv
import io

from auditor.reports.document import Report

HEADER = ("attribute", "is_target", "context", "metric", "n", "before", "after", "delta",
          "ci_low", "ci_high", "p", "p_corrected", "marker", "verdict", "b", "c", "mde", "seeds", "seed_deltas", "agreement")


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    table = report.table
    for attribute in table.attributes:
        for context in ("ambig", "disambig", "overall"):
            cell = table.cell(attribute, context)
            if cell is None:
                continue
            acc, bias = cell.accuracy, cell.bias
            target = attribute in table.target
            writer.writerow((attribute, target, context, "accuracy", acc.n, acc.before, acc.after,
                             acc.delta, *(acc.ci or ("", "")), acc.p, acc.p_corrected,
                             acc.marker, acc.verdict, acc.b, acc.c, _blank(acc.mde), *_seeds(acc)))
            writer.writerow((attribute, target, context, "bias", acc.n, bias.before, bias.after,
                             bias.delta, *(bias.ci or ("", "")), bias.p, bias.p_corrected,
                             bias.marker, bias.verdict, "", "", "", *_seeds(bias)))
    return out.getvalue()


def _blank(value):
    return "" if value is None else value


def _seeds(change) -> tuple:
    if not change.seeds:
        return ("", "", "")
    deltas = ";".join("" if s.delta is None else repr(s.delta) for s in change.seeds)
    return (len(change.seeds), deltas, change.agreement)
