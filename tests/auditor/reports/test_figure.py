"""The spillover figure: forest plot and heatmap, written as PNG, SVG and PDF."""

from __future__ import annotations

import pytest

from auditor.core.errors import InputError
from auditor.reports.figure import figure_svg, save_figure

MAGIC = {".png": b"\x89PNG", ".pdf": b"%PDF", ".svg": b"<?xml"}


@pytest.mark.parametrize("suffix", sorted(MAGIC))
def test_writes_each_format(tmp_path, two_runs, suffix):
    path = save_figure(two_runs["table"], tmp_path / f"fig{suffix}", "a → b")
    assert path.read_bytes().startswith(MAGIC[suffix]) and path.stat().st_size > 5000


def _with_significant_cell(table):
    """The fixture's cells have three template instances each, too few for any exact test to
    reach significance; mark one cell as a significant table would."""
    from dataclasses import replace

    row = table.rows[1]
    cell = row.cells[0]
    marked = replace(cell, accuracy=replace(cell.accuracy, marker="**", verdict="degraded"))
    rows = list(table.rows)
    rows[1] = replace(row, cells=(marked, *row.cells[1:]))
    return replace(table, rows=tuple(rows))


def test_svg_names_every_cell_and_marks_significance_in_text(two_runs):
    table = _with_significant_cell(two_runs["table"])
    svg = figure_svg(table, "a → b")
    assert svg.startswith("<svg")
    for attribute in table.attributes:
        label = attribute + (" (target)" if attribute in table.target else "")
        assert f"{label} · ambig" in svg and f"{label} · disambig" in svg
    assert "Age (target) · overall" in svg
    starred = [c.bias.marker for r in table.rows for c in r.cells if c.bias.marker]
    starred += [c.accuracy.marker for r in table.rows for c in r.cells if c.accuracy.marker]
    assert starred, "the fixture should hold a significant cell"
    for mark in starred:
        assert mark in svg  # significance is in text, not only in colour
    assert "Holm-corrected" in svg and "paired items" in svg


def test_unknown_suffix_is_refused(tmp_path, two_runs):
    with pytest.raises(InputError, match="figures are written as"):
        save_figure(two_runs["table"], tmp_path / "fig.jpg")
    assert not (tmp_path / "fig.jpg").exists()


def test_the_same_table_draws_the_same_svg_bytes(two_runs):
    """Element ids are salted by content, not by a random uuid: an HTML report written
    twice (the command line and the app's export) is byte-identical."""
    assert figure_svg(two_runs["table"], "t") == figure_svg(two_runs["table"], "t")
