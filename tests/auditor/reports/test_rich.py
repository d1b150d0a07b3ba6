"""Rich rendering of the spillover table and the run summary."""

from __future__ import annotations

from dataclasses import replace

from rich.console import Console

from auditor.core.answers import Answer
from auditor.reports.rich import render_summary, render_table
from auditor.stats import Row, compare_runs, pair_runs, start_table, summarize_run


def _text(renderable, width=140) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_table_reads_without_colour(lite_items):
    before = [Answer(i, item.label) for i, item in lite_items.items()]
    after = [
        Answer(a.item_id, lite_items[a.item_id].unknown_index)
        if lite_items[a.item_id].attribute == "Religion"
        else a
        for a in before
    ]
    text = _text(render_table(compare_runs(lite_items, before, after, n_boot=100), show_ci=True))
    assert "◆ Gender_identity" in text and "target" in text
    assert text.index("Gender_identity") < text.index("Age")
    assert "-50.0 pp ▼***" in text and "degraded" in text  # Religion disambig: all wrong
    assert "n.s." in text and "Holm-corrected p over" in text
    assert "—" in text  # undefined bias (disambig after: no non-unknown answers)


def test_markup_in_data_is_escaped_and_partial_rows_show(lite_items):
    answers = [Answer(i, item.label) for i, item in lite_items.items()]
    table = start_table(pair_runs(lite_items, answers, answers), n_boot=10)
    odd = replace(table, attributes=table.attributes + ("[bold red]x[/]",))
    odd = odd.with_row(Row("[bold red]x[/]", False))
    text = _text(render_table(odd))
    assert "[bold red]x[/]" in text
    assert "…" in text and "Partial table" in text


def test_summary_renders(lite_items):
    answers = [Answer(i, item.unknown_index) for i, item in lite_items.items()]
    text = _text(render_summary(summarize_run(lite_items, answers, n_boot=20)))
    assert "all attributes" in text and "16,076" in text and "100.0%" in text
    assert "—" in text  # s_DIS undefined when every answer is unknown
