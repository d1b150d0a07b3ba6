"""Rendering the two accuracy tests' comparison and the bias-score conventions."""

from __future__ import annotations

import csv
import io

from auditor.core.answers import Answer
from auditor.core.items import Item, Option, Roles
from auditor.reports.alternatives import markdown_lines, summary_line
from auditor.reports.csv_rows import HEADER, convention_rows
from auditor.stats import compare_runs
from auditor.stats.alternatives import with_alternatives


def make_item(n: int, context: str) -> Item:
    """Age items, four to a template instance: option 0 unknown, 1 biased, 2 anti-biased."""
    t = n // 4
    options = (
        Option("Unknown", "unknown"),
        Option(f"old {t}", "old"),
        Option(f"young {t}", "nonOld"),
    )
    return Item(
        id=f"Age:{n}",
        attribute="Age",
        example_id=n,
        context_condition=context,
        polarity="neg",
        question_index=str(t),
        context="c",
        question="q",
        options=options,
        label=0 if context == "ambig" else 1,
        stereotyped_groups=("old",),
        subcategory="",
        unknown_index=0,
        roles=Roles(biased=1, anti_biased=2, unknown=0),
    )


def _lockstep(instances=6):
    """Instances of four Age items that all go from the anti-biased answer to the right one."""
    items = {
        it.id: it
        for it in (make_item(n, ("ambig", "disambig")[n % 2]) for n in range(4 * instances))
    }
    before = [Answer(i, 2) for i in items]
    after = [Answer(i, items[i].label) for i in items]
    return items, before, after


def test_differing_cells_and_flags_are_listed():
    items, before, after = _lockstep()
    plain = compare_runs(items, before, after, target=("Age",), n_boot=300)
    assert summary_line(plain) == "" and markdown_lines(plain) == []
    table = with_alternatives(plain, items, before, after)
    line = summary_line(table)
    assert line.startswith(
        "Accuracy verdicts differ between McNemar and the cluster test in "
        "3 of 3 cells; bias verdicts change with the convention"
    )
    text = "\n".join(markdown_lines(table))
    assert "| Age | ambig | — | +100.0 pp |" in text  # a differing cell, one aligned run
    assert "| Age | disambig | -1.000 → +1.000" in text
    rows = list(csv.reader(io.StringIO(_csv(table))))
    assert [r[3] for r in rows] == ["bias:lm-eval", "bias:helm"] * 2
    assert {r[-1] for r in rows} == {"spillover:conventions"}


def test_seed_replicates_say_each_seed_is_compared_on_its_own():
    items, before, after = _lockstep()
    from auditor.stats.replicates import compare_replicates

    seeds = {0: after, 1: after}
    table = compare_replicates(items, before, seeds, target=("Age",), n_boot=300)
    table = with_alternatives(table, items, before, seeds)
    assert "in 6 of 6 cells (each seed on its own)" in summary_line(table)
    assert "| Age | overall | 1 |" in "\n".join(markdown_lines(table))


def _csv(table) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADER, restval="", lineterminator="\n")
    writer.writerows(convention_rows(table, "spillover"))
    return out.getvalue()
