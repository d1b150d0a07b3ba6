"""The run screen's actions once its audit has finished: drill down, export, the format
views and, for a candidate audit of several, which candidate it shows."""

from __future__ import annotations

from textual.widgets import Select

from tui.screens.drilldown import DrilldownScreen
from tui.screens.export import ExportScreen, export_and_tell
from tui.screens.results import ResultsScreen
from tui.screens.trajectory import TrajectoryScreen, audit_trajectory
from tui.widgets.candidates import CandidatePicker
from tui.widgets.spillover import SpilloverView


class FinishedActions:
    """Mixed into the run screen: its ``result`` (of several candidates, the one shown),
    ``candidates`` ((result, verdict) each), ``progress`` and ``_redraw``."""

    def action_views(self) -> None:
        """The finished audit's results with their format views (``v`` there cycles)."""
        r = self.result
        if r is None:
            return
        self.app.push_screen(
            ResultsScreen(
                self.backend,
                r.table,
                r.baseline_run,
                r.aligned_run,
                r.audit_id,
                heldout_ids=r.heldout_ids or None,
                result=r,
                view=ResultsScreen.TRANSFER if r.transfer is not None else ResultsScreen.ROTATION,
                candidates=self.candidates,
            )
        )

    def action_export(self) -> None:
        """The finished audit's report, as the command line writes it."""
        r = self.result
        if r is None:
            return
        self.app.push_screen(
            ExportScreen(),
            lambda fmt: export_and_tell(
                self, fmt, r.audit_id, r.baseline_run, r.aligned_run, result=r
            ),
        )

    def action_trajectory(self) -> None:
        """The finished audit's spillover over training (``audit_trajectory``)."""
        found = audit_trajectory(self.result, self.candidates) if self.result else None
        if found is not None:
            self.app.push_screen(TrajectoryScreen(found, self.result.audit_id))

    def choose(self, index: int) -> None:
        """Show candidate ``index``: its table, drill-down, export and views."""
        result = self.candidates[index][0]
        if result is not self.result:
            self.result, self.progress.table = result, result.table
            self.refresh_bindings()
            self._redraw({"table"})

    def action_candidate(self) -> None:
        """The next candidate's results."""
        picker = self.query_one(CandidatePicker)
        picker.value = (picker.value + 1) % len(self.candidates)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "candidates":
            event.stop()
            self.choose(event.value)

    def on_spillover_view_cell_chosen(self, event: SpilloverView.CellChosen) -> None:
        event.stop()
        if self.result is None:
            self.notify("drill-down opens when the audit has finished", severity="information")
            return
        self.app.push_screen(
            DrilldownScreen(
                self.backend,
                self.result.baseline_run,
                self.result.aligned_run,
                event.attribute,
                event.context,
                only_ids=self.result.items_of(event.attribute),
            )
        )
