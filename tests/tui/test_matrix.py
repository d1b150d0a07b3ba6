"""The spillover matrix in the app: opened from home for the chosen profile, read from the
store; a context at a time; Enter opens the recipe's own audit on that cell."""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import DataTable, Static

from auditor.reports.matrix import cell_lines, summary_text
from auditor.stats.matrix import RecipeTable, build_matrix
from tui import SpilloverApp
from tui.screens.home import HomeScreen
from tui.screens.matrix import MatrixScreen
from tui.screens.results import ResultsScreen
from tui.widgets.spillover import SpilloverView

from .conftest import SIZE, plain, settle

pytestmark = pytest.mark.asyncio


@pytest.fixture
def matrix_backend(make_backend, tui_data, formats):
    """A backend whose store holds a two-recipe matrix: dpo and kto on the target."""
    kto = dataclasses.replace(tui_data.result, audit_id="audit-kto", table=formats.transfer)
    results = {r.audit_id: r for r in (tui_data.result, kto)}
    matrix = build_matrix(
        [
            RecipeTable("dpo", ("Gender_identity",), tui_data.audit_id, tui_data.table),
            RecipeTable("kto", ("Gender_identity",), "audit-kto", formats.transfer),
        ]
    )
    backend = make_backend()
    backend.asked = []

    def stored_matrix(profile):
        backend.asked.append(profile.name)
        return matrix, results

    backend.stored_matrix = stored_matrix
    return backend, matrix, results


async def test_m_opens_the_matrix_and_enter_opens_a_recipes_audit(matrix_backend, tui_data):
    backend, matrix, results = matrix_backend
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MatrixScreen) and backend.asked == ["demo"]
        table = screen.query_one("#mx-table", DataTable)
        assert table.row_count == 2
        assert [str(table.get_cell_at((r, 0))) for r in range(2)] == [
            "dpo → Gender_identity",
            "kto → Gender_identity",
        ]
        age = screen.attributes.index("Age") + 1
        for r, row in enumerate(matrix.rows):
            accuracy, _ = cell_lines(row.cell("Age", "overall"))
            assert table.get_cell_at((r, age)).plain == accuracy
            assert table.get_cell_at((r, len(screen.attributes) + 1)).plain == summary_text(row)
        assert matrix.family_note in plain(screen.query_one("#mx-caption", Static).content, 400)

        await pilot.press("x")  # overall → ambig: two lines, Δaccuracy then Δbias
        assert screen.context == "ambig"
        accuracy, bias = cell_lines(matrix.rows[1].cell("Age", "ambig"))
        assert table.get_cell_at((1, age)).plain == f"{accuracy}\n{bias}"
        assert "context: ambig" in plain(screen.query_one("#mx-title", Static).content)

        table.move_cursor(row=1, column=age)
        await pilot.press("enter")
        await settle(pilot)
        opened = app.screen
        assert isinstance(opened, ResultsScreen) and opened.result is results["audit-kto"]
        assert opened.query_one(SpilloverView).table is results["audit-kto"].table
        assert "recipe kto → Gender_identity" in plain(
            opened.query_one("#res-title", Static).content, 400
        )
        stats = plain(opened.query_one("#cell-stats", Static).content, 400)
        assert stats.startswith("Age × ambig  accuracy")  # the cell chosen in the matrix
        await pilot.press("escape")
        assert app.screen is screen


async def test_a_profile_without_a_stored_matrix_says_what_to_run(backend):
    app = SpilloverApp(backend, profile="demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        said = [n.message for n in app._notifications]
        assert any(
            "has no finished audit in the store: run `spillover matrix`" in m for m in said
        ), said
