"""Home's actions on stored work: delete an audit, mark two runs and compare them."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable, Static

from auditor.store.records import RunRecord
from tui.messages import AuditDeleted, RunsCompared
from tui.screens.confirm import ConfirmScreen
from tui.widgets.history import show_marks


def complete(run: RunRecord) -> bool:
    """A stored run that scored every item it set out to."""
    return run.status == "done" and (not run.total or (run.done or 0) >= run.total)


class StoredActions:
    """Mixed into the home screen: its audits and runs tables, ``pair`` and ``background``."""

    def action_delete(self) -> None:
        """Delete the audit under the cursor of the audits list, after a yes."""
        table = self.query_one("#audits", DataTable)
        if not table.has_focus or not self.audits or table.cursor_row >= len(self.audits):
            self.notify("move to a stored audit (tab or click) to delete it", severity="warning")
            return
        audit_id = self.audits[table.cursor_row]["id"]

        def answer(yes: bool | None) -> None:
            if yes:
                self.background(
                    lambda: AuditDeleted(audit_id, self.backend.delete_audit(audit_id)), "delete"
                )

        self.app.push_screen(
            ConfirmScreen(
                f"Delete {audit_id} and its stored runs? Runs another audit uses are kept; "
                "files on disk (checkpoints, adapters) stay."
            ),
            answer,
        )

    # -- a pair of stored runs ------------------------------------------------------
    def action_mark(self, side: str) -> None:
        """Mark the focused runs-table row; elsewhere the key would pick an unseen row."""
        table = self.query_one("#runs", DataTable)
        if not table.has_focus:
            self.notify("move to the stored runs (tab or click) to mark a run", severity="warning")
            return
        if not self.runs or table.cursor_row >= len(self.runs):
            self.notify("no stored run to mark", severity="warning")
            return
        self.pair[side] = self.runs[table.cursor_row].id
        show_marks(table, self.runs, self.pair)
        self._show_pair()

    def action_compare(self) -> None:
        if len(self.pair) < 2:
            self.notify("mark a base run (b) and an aligned run (a) first", severity="warning")
            return
        if self.pair["a"] == self.pair["b"]:
            self.notify(
                "base and aligned are the same run: mark two different runs", severity="warning"
            )
            return
        runs = {r.id: r for r in self.runs}
        partial = [
            rid
            for rid in (self.pair["a"], self.pair["b"])
            if rid in runs and not complete(runs[rid])
        ]
        if partial:
            self.notify(
                f"{', '.join(partial)} is partial: only items both runs scored are compared",
                severity="warning",
                markup=False,
            )
        target = tuple(self.profile.align.target) if self.profile else ("Gender_identity",)
        self.query_one("#runs", DataTable).loading = True  # a spinner while it compares
        run_a, run_b, backend = self.pair["a"], self.pair["b"], self.backend
        self.background(
            lambda: RunsCompared(backend.compare_stored(run_a, run_b, target), run_a, run_b), "pair"
        )

    def _show_pair(self) -> None:
        text = Text("compare: base ", style="dim").append(self.pair.get("a", "—"))
        text.append("  aligned ", style="dim").append(self.pair.get("b", "—"))
        self.query_one("#pair", Static).update(text)
