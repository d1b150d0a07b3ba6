"""Spillover over training: an audit's Δ per cell at each saved training step, and the
step at which each cell first degraded (``auditor.audit.trajectory``)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from auditor.reports.trajectory import TITLE, cell_label, delta_text, legend, step_label

STYLES = {"degraded": "bold red", "improved": "green"}


def has_trajectory(result, candidates=()) -> bool:
    """Whether ``audit_trajectory`` finds one (without building it)."""
    from auditor.audit.candidate_report import checkpoint_series

    steps = [(r.candidate or {}).get("step") for r, _v in candidates]
    return bool(getattr(result, "trajectory", None)) or checkpoint_series(steps)


def audit_trajectory(result, candidates=()):
    """``result``'s spillover over training, judged as its results are (the profile's
    gate when it judges non-inferiority): its stored trajectory, or that of its fellow
    ``candidates`` that are checkpoints of one training run (the one `spillover audit`
    gives the last of them); None when it has none."""
    from auditor.audit.candidate_report import candidate_trajectory
    from auditor.audit.result import noninferiority_section
    from auditor.audit.trajectory import stored_trajectory

    gate = noninferiority_section(getattr(result, "profile", None))
    found = stored_trajectory(result, gate)
    if found is None:  # None unless they are checkpoints of one training run
        points = [((r.candidate or {}).get("step"), r.table) for r, _v in candidates]
        found = candidate_trajectory(points, gate)
    return found


class TrajectoryScreen(Screen):
    """A row per cell (attribute / context / metric), a column per step."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, trajectory, title: str = "") -> None:
        super().__init__()
        self.trajectory, self.title_text = trajectory, title

    def compose(self) -> ComposeResult:
        yield Header()
        heading = Text(TITLE, style="bold")
        if self.title_text:
            heading.append(f"   {self.title_text}", style="dim")
        yield Static(heading, id="traj-title")
        yield DataTable(id="traj-table", cursor_type="row", zebra_stripes=True, fixed_columns=1)
        yield Static(Text(legend(self.trajectory), style="dim"), id="traj-caption")
        yield Footer()

    def on_mount(self) -> None:
        traj = self.trajectory
        table = self.query_one(DataTable)
        table.add_column("cell", key="cell")
        for step in traj.steps:
            table.add_column(Text(f"step {step_label(traj, step)}", justify="right"), key=str(step))
        table.add_column(Text("first degraded", justify="right"), key="first")
        ni = traj.mode == "noninferiority"
        if ni:
            table.add_column(Text("first bound ≥ margin", justify="right"), key="bound")
        for path in traj.cells:
            cells = [Text(cell_label(path))]
            cells += [
                Text(delta_text(path.metric, p), style=STYLES.get(p.verdict, ""), justify="right")
                for p in path.points
            ]
            first = path.first_degraded
            cells.append(Text("—" if first is None else str(first), justify="right",
                              style="bold red" if first is not None else "dim"))  # fmt: skip
            if ni:
                bound = path.first_inconclusive if path.margin is not None else None
                shown = (
                    "not checked" if path.margin is None else "—" if bound is None else str(bound)
                )
                cells.append(Text(shown, justify="right"))
            table.add_row(*cells, key=f"{path.attribute}/{path.context}/{path.metric}")
        table.focus()
