"""The trained adapter of a finished audit is missing (a store moved without its audits/
folder): train it again, or point to where the adapter is now. Never decided silently."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class MissingAdapterScreen(ModalScreen[dict | None]):
    """Dismisses with the ``run_audit`` keywords of the choice (None: escape, not resumed)."""

    BINDINGS = [Binding("escape", "choose_none", "Cancel")]

    def __init__(self, problem) -> None:
        super().__init__()
        self.problem = problem  # auditor.audit.preflight.MissingAdapter

    def compose(self) -> ComposeResult:
        p = self.problem
        where = Text("Training run ").append(p.run_id, style="bold")
        where.append(" finished, but its adapter is not in ").append(str(p.expected), style="bold")
        if p.recorded and p.recorded != str(p.expected):
            where.append(" (it was at ").append(p.recorded, style="bold").append(")")
        where.append(". The store was probably moved without its audits/ folder.")
        with Vertical(id="missing-adapter"):
            yield Static(Text("The trained adapter is missing", style="bold"))
            yield Static(where)
            yield Label("adapter folder, where it is now (it is copied back):")
            yield Input(value=p.recorded or "", placeholder="adapter folder", id="adapter-path")
            with Horizontal(id="missing-buttons"):
                yield Button("Use this adapter", id="restore", variant="primary")
                yield Button("Train again", id="retrain", variant="warning")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#adapter-path", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {
            "restore": self._restore,
            "retrain": lambda: self.dismiss({"retrain_missing": True}),
            "cancel": self.action_choose_none,
        }[event.button.id]()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._restore()

    def _restore(self) -> None:
        path = self.query_one("#adapter-path", Input).value.strip()
        if not path:
            self.notify("type the adapter's folder, or choose Train again", severity="warning")
            return
        self.dismiss({"restore_adapter_from": path})

    def action_choose_none(self) -> None:
        self.dismiss(None)
