"""Results: a finished (or stored) spillover table; Enter on a cell drills down.

An audit with format controls has more than one view of the same audit (``v`` cycles):
"trained format" (its table), "format transfer" (the same models in the untrained
format, each cell with its reading: does the change hold in both formats?) and
"rotation" (the table on answers aggregated over option orderings, with position bias
and order consistency before → after). An audit with a trajectory opens it with ``t``."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Select, Static

from auditor.reports.rich import caption
from auditor.reports.rotation import change_lines
from auditor.stats.table import SpilloverTable
from auditor.stats.transfer import cell_line, readings
from tui.screens.drilldown import DrilldownScreen
from tui.screens.export import ExportScreen, export_and_tell
from tui.screens.trajectory import TrajectoryScreen, audit_trajectory, has_trajectory
from tui.widgets.candidates import CandidatePicker
from tui.widgets.cellstats import cell_stats
from tui.widgets.spillover import SpilloverView


def describe(title: str, run_a: str, run_b: str | None, extra: str = "") -> Text:
    """The heading line: what is shown and which runs it compares."""
    text = Text(title, style="bold")
    text.append(f"   base {run_a}" + (f" → aligned {run_b}" if run_b else ""), style="dim")
    if extra:
        text.append("\n").append(extra, style="dim")
    return text


def noninferiority_gate(result, table: SpilloverTable):
    """The audit profile's gate on ``table`` when it judges non-inferiority, else None."""
    from auditor.audit.result import noninferiority_section

    section = noninferiority_section(getattr(result, "profile", None))
    if section is None:
        return None
    from auditor.audit.gate import evaluate_gate

    return evaluate_gate(table, section)


class ResultsScreen(Screen):
    """The spillover table of two runs, read back or just computed."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("enter", "drill", "Drill down", show=True),
        Binding("e", "export", "Export"),
        Binding("v", "view", "View"),
        Binding("t", "trajectory", "Trajectory"),
        Binding("n", "candidate", "Next candidate"),
    ]
    TRAINED, TRANSFER, ROTATION = "trained format", "format transfer", "rotation"

    def __init__(
        self,
        backend,
        table: SpilloverTable,
        run_a: str,
        run_b: str,
        title: str = "Spillover",
        extra: str = "",
        heldout_ids=None,
        result=None,
        view: str = "trained format",
        candidates=(),
    ) -> None:
        super().__init__()
        self.backend, self.extra = backend, extra
        self.candidates = list(candidates)  # a candidate audit's: (result, verdict) each
        self._load(table, run_a, run_b, title, heldout_ids, result)
        self.first_view = view if view in self.views else self.TRAINED

    def _load(self, table, run_a, run_b, title: str, heldout_ids, result) -> None:
        """What the screen shows: ``result`` (or, without one, two runs' ``table``), its
        heading, gate and views."""
        self.heldout_ids = heldout_ids  # the target's cells were computed on these items
        self.table = self.trained_table = table
        self.run_a, self.run_b = run_a, run_b
        self.runs = {"trained": (run_a, run_b)}
        self.heading = describe(title, run_a, run_b, self.extra)
        self.title_text = title
        self.result = result  # the AuditResult, when these are an audit's results
        self.gate = noninferiority_gate(result, table)
        self.views = [self.TRAINED]
        if result is not None and result.transfer is not None:
            self.views.append(self.TRANSFER)
            self.readings = readings(table, result.transfer)
        if result is not None and result.rotation:
            self.views.append(self.ROTATION)
        self.view = self.TRAINED

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.heading, id="res-title")
        yield Static(self._view_line(), id="res-view")
        if len(self.candidates) > 1:
            ids = [r.audit_id for r, _v in self.candidates]
            chosen = ids.index(self.result.audit_id) if self.result.audit_id in ids else None
            yield CandidatePicker(self.candidates, chosen, id="candidates")
        with VerticalScroll(id="res-body"):
            yield Static("", id="res-rotation")
            yield SpilloverView(id="res-table")
            yield Static("", id="cell-stats")
            yield Static(caption(self.table), id="res-caption")
        yield Footer()

    def check_action(self, action: str, parameters) -> bool | None:
        """``v`` only when the audit has more than one view, ``t`` when it has a
        trajectory."""
        if action == "candidate":
            return len(self.candidates) > 1
        if action == "trajectory":
            return has_trajectory(self.result, self.candidates)
        return len(self.views) > 1 if action == "view" else True

    def action_trajectory(self) -> None:
        """The audit's spillover over training (``audit_trajectory``)."""
        found = audit_trajectory(self.result, self.candidates)
        if found is not None:
            self.app.push_screen(TrajectoryScreen(found, self.title_text))

    def _view_line(self) -> Text:
        if len(self.views) < 2:
            return Text("")
        text = Text("view: ", style="dim")
        for index, name in enumerate(self.views):
            if index:
                text.append(" · ", style="dim")
            text.append(name, style="bold reverse" if name == self.view else "dim")
        return text.append("   (v switches)", style="dim")

    def on_mount(self) -> None:
        self.query_one("#res-view", Static).display = len(self.views) > 1
        self.query_one("#res-rotation", Static).display = False
        view = self.query_one(SpilloverView)
        view.show(self.table)
        view.focus()
        self._show_stats()
        if self.first_view != self.TRAINED:
            self.show_view(self.first_view)

    def focus_cell(self, attribute: str, context: str, metric: str = "accuracy") -> None:
        """Put the cursor on ``attribute`` × ``context`` × ``metric``."""
        view = self.query_one(SpilloverView)
        if self.table is None or attribute not in self.table.attributes:
            return
        column = next(
            (
                i
                for i, (_k, _h, c, m) in enumerate(view.columns_shown)
                if c == context and m == metric
            ),
            0,
        )
        view.move_cursor(row=self.table.attributes.index(attribute), column=column)
        self._show_stats()

    def action_candidate(self) -> None:
        """The next candidate's results."""
        picker = self.query_one(CandidatePicker)
        picker.value = (picker.value + 1) % len(self.candidates)

    def on_select_changed(self, event: Select.Changed) -> None:
        """Another candidate: its table, runs, gate and views (from its trained format)."""
        if event.select.id != "candidates":
            return
        event.stop()
        r = self.candidates[event.value][0]
        if r is not self.result:
            self._load(r.table, r.baseline_run, r.aligned_run, r.audit_id, r.heldout_ids or None, r)
            self.query_one("#res-view", Static).display = len(self.views) > 1
            self.refresh_bindings()
            self.show_view(self.TRAINED)

    def action_view(self) -> None:
        """The next view of the same audit."""
        self.show_view(self.views[(self.views.index(self.view) + 1) % len(self.views)])

    def show_view(self, name: str) -> None:
        self.view = name
        r = self.result
        if name == self.TRANSFER:
            self.table = r.transfer
            runs = r.transfer_runs or {}
            self.run_a, self.run_b = runs.get("baseline", ""), runs.get("aligned", "")
        else:
            self.table = self.trained_table
            self.run_a, self.run_b = self.runs["trained"]
        self.query_one("#res-title", Static).update(
            describe(self.title_text, self.run_a, self.run_b, self.extra)
        )
        rotation = self.query_one("#res-rotation", Static)
        rotation.display = name == self.ROTATION
        if name == self.ROTATION:
            rotation.update(Text("\n".join(change_lines(r.rotation)) + "\n"))
        self.query_one("#res-view", Static).update(self._view_line())
        self.query_one(SpilloverView).show(self.table)
        text = caption(self.table)
        if name == self.TRANSFER:
            text = (
                Text(
                    f"Format transfer: the same base and aligned models in the "
                    f"{r.transfer_format or 'untrained'} format, which the alignment never "
                    "saw; each cell's reading is below the table.\n",
                    style="dim",
                )
                + text
            )
        elif name == self.ROTATION:
            text = (
                Text(
                    "Rotation: the table is on each item's answer aggregated over its "
                    "option orderings.\n",
                    style="dim",
                )
                + text
            )
        self.query_one("#res-caption", Static).update(text)
        self._show_stats()

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        event.stop()
        self._show_stats()

    def _show_stats(self) -> None:
        focused = self.query_one(SpilloverView).focused_cell()
        if focused is None:
            return
        gate = self.gate if self.table is self.trained_table else None
        stats = cell_stats(self.table, *focused, gate=gate)
        if self.view == self.TRANSFER:
            attribute, context, _metric = focused
            line = cell_line(self.readings, attribute, context or "overall")
            stats.append(f"\nformat transfer: {line or 'no reading'}", style="bold")
        self.query_one("#cell-stats", Static).update(stats)

    def action_export(self) -> None:
        self.app.push_screen(ExportScreen(), self._export)

    def _export(self, fmt: str | None) -> None:
        export_and_tell(
            self,
            fmt,
            self.title_text,
            self.run_a,
            self.run_b,
            result=self.result,
            target=tuple(self.trained_table.target),
        )

    def action_drill(self) -> None:
        picked = self.query_one(SpilloverView).chosen()
        if picked:
            self.post_message(SpilloverView.CellChosen(*picked))

    def on_spillover_view_cell_chosen(self, event: SpilloverView.CellChosen) -> None:
        event.stop()
        only = self.heldout_ids if event.attribute in self.table.target else None
        if not self.run_a:
            self.notify("this view's runs are not stored", severity="warning")
            return
        self.app.push_screen(
            DrilldownScreen(
                self.backend, self.run_a, self.run_b, event.attribute, event.context, only_ids=only
            )
        )
