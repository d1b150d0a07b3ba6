"""Home: pick a profile, model, sample size and DPO steps and start an audit (model and
data checked first) — train and audit, or compare a checkpoint with its base — or open
stored audits and runs."""

from __future__ import annotations

import json
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from auditor.audit.profiles import available, load_profile
from auditor.core.errors import SpilloverError
from tui.messages import (
    AuditChecked,
    AuditDeleted,
    AuditOpened,
    HistoryLoaded,
    LoadFailed,
    MatrixLoaded,
    RunsCompared,
    failure,
)
from tui.profiletext import profile_summary
from tui.screens.matrix import MatrixScreen
from tui.screens.results import ResultsScreen
from tui.screens.run import RunScreen
from tui.screens.stored import StoredActions
from tui.widgets.audit_kind import AuditKind
from tui.widgets.history import show_audits, show_runs


class HomeScreen(StoredActions, Screen):
    BINDINGS = [
        Binding("s", "start", "Start audit"),
        Binding("r", "refresh", "Refresh", show=False),  # in help and the palette
        Binding("b", "mark('a')", "Mark base"),
        Binding("a", "mark('b')", "Mark aligned"),
        Binding("c", "compare", "Compare"),
        Binding("d", "delete", "Delete"),
        Binding("m", "matrix", "Matrix", show=False),  # in help and the palette
    ]

    def __init__(self, backend, profile: str | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.names = dict(available())
        if profile and profile not in self.names:
            self.names[profile] = profile  # a .toml path
        default = "demo" if "demo" in self.names else next(iter(self.names), None)
        self.initial = profile if profile else default
        self.profile = None  # the highlighted profile, as its file says
        self.profile_path = None
        self.pair: dict[str, str] = {}
        self.shown = {}  # field id -> the value the profile list last filled in
        self.audits: list[dict] = []
        self.runs: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="home"):
            with VerticalScroll(id="new-audit"):
                yield OptionList(*(Option(Text(n), id=n) for n in self.names), id="profiles")
                yield Static("", id="profile-info")
                yield AuditKind(id="audit-kind")
                yield Input(
                    placeholder="model: folder, hub id or .gguf",
                    id="model",
                    tooltip="the base model: folder, hub id or .gguf",
                )
                with Horizontal(id="sizes"):
                    yield Label("items ")
                    yield Input(
                        placeholder="all",
                        id="sample",
                        type="integer",
                        compact=True,
                        tooltip="items evaluated (data.sample; 0: all)",
                    )
                    yield Label(" DPO steps ")
                    yield Input(
                        placeholder="epochs",
                        id="steps",
                        type="integer",
                        compact=True,
                        tooltip="training steps (align.max_steps; 0: by epochs)",
                    )
                yield Button("Start audit (s)", id="start", variant="primary", compact=True)
            with Vertical(id="history"):
                yield DataTable(id="audits", cursor_type="row", zebra_stripes=True)
                yield Static("", id="empty-hint")
                yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
                yield Static("", id="pair")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#new-audit").border_title = "New audit"
        self.query_one("#audits").border_title = "Stored audits (Enter: open or resume)"
        self.query_one("#runs").border_title = "Stored runs (b base, a aligned, c compare)"
        self.query_one("#audits").border_subtitle = Text(f"store {self.backend.store_location}")
        show_audits(self.query_one("#audits", DataTable), [])
        show_runs(self.query_one("#runs", DataTable), [])
        options = self.query_one("#profiles", OptionList)
        if self.initial is not None:
            options.highlighted = list(self.names).index(self.initial)
        options.focus()
        self._show_pair()

    def on_screen_resume(self) -> None:
        self.load_history()

    # -- profiles -------------------------------------------------------------------
    FIELDS = (  # input id, the profile's value, the --set override it becomes
        ("model", lambda p: p.model.source, "model.source"),
        ("sample", lambda p: str(p.data.sample), "data.sample"),
        ("steps", lambda p: str(p.align.max_steps), "align.max_steps"),
    )

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        info = self.query_one("#profile-info", Static)
        try:
            self.profile_path = self.names[event.option.id]
            self.profile = load_profile(self.profile_path)
        except SpilloverError as exc:
            self.profile = None
            info.update(Text(str(exc), style="bold red"))
            return
        for field, value, _key in self.FIELDS:  # never overwrite what the user typed
            widget = self.query_one(f"#{field}", Input)
            if widget.value.strip() in ("", self.shown.get(field, "")):
                widget.value = self.shown[field] = value(self.profile)
        self._summarise()

    def chosen_profile(self):
        """The highlighted profile with the model, sample size and steps (and a candidate
        to compare with the base) as typed, applied as ``--set`` overrides (so they are
        validated like the CLI's); a candidate audit gates in non-inferiority mode unless
        the profile names a mode."""
        from auditor.audit.candidates import names_gate_mode, with_candidate_gate

        overrides = self.query_one(AuditKind).overrides()
        for field, value, key in self.FIELDS:
            typed = self.query_one(f"#{field}", Input).value.strip()
            if typed and typed != value(self.profile):
                overrides.append(f"{key}={json.dumps(typed) if field == 'model' else typed}")
        if not overrides:
            return self.profile
        chosen = load_profile(self.profile_path, overrides)
        return with_candidate_gate(chosen, names_gate_mode(Path(self.profile_path)))

    def _summarise(self) -> None:
        """What the audit will do, with the typed values; or why they cannot be used."""
        if self.profile is None:
            return
        info = self.query_one("#profile-info", Static)
        try:
            info.update(profile_summary(self.chosen_profile()))
        except SpilloverError as exc:
            info.update(Text(str(exc), style="bold red"))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("sample", "steps", "candidate", "candidate-adapter"):
            self._summarise()

    def on_select_changed(self) -> None:
        self._summarise()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#model", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_start()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_start()

    def _valid_profile(self):
        """The chosen profile with the home fields applied, or None after saying why."""
        if self.profile is None:
            self.notify("pick a valid profile first", severity="warning")
            return None
        try:
            return self.chosen_profile()
        except SpilloverError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return None

    def action_start(self) -> None:
        """Check the model and data (a moment, no weights loaded), then run the audit."""
        profile = self._valid_profile()
        if profile is None:
            return
        self.query_one("#start", Button).loading = True
        self.background(lambda: AuditChecked(self.backend.check(profile)), "check")

    def action_matrix(self) -> None:
        """The chosen profile's spillover matrix (``[align] methods``/``targets``), read
        back from the store: run it with ``spillover matrix`` first."""
        profile = self._valid_profile()
        if profile is None:
            return
        backend = self.backend
        title = f"Spillover matrix: {profile.name} ({profile.model.source})"
        self.background(lambda: MatrixLoaded(*backend.stored_matrix(profile), title), "matrix")

    def on_matrix_loaded(self, message: MatrixLoaded) -> None:
        self.app.push_screen(
            MatrixScreen(self.backend, message.matrix, message.results, message.title)
        )

    def on_audit_checked(self, message: AuditChecked) -> None:
        self.query_one("#start", Button).loading = False
        self.app.push_screen(RunScreen(self.backend, message.profile))

    # -- history --------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.load_history()

    @work(thread=True, exclusive=True, exit_on_error=False, group="history")
    def load_history(self) -> None:
        try:
            audits, runs = self.backend.list_audits(), self.backend.list_runs()
        except Exception as exc:
            self.post_message(LoadFailed("history", failure(exc)))
            return
        self.post_message(HistoryLoaded(audits, runs))

    @work(thread=True, exclusive=True, exit_on_error=False, group="open")
    def background(self, call, what: str) -> None:
        """Post the message ``call()`` returns, or ``LoadFailed(what, …)``."""
        try:
            message = call()
        except Exception as exc:
            self.post_message(LoadFailed(what, failure(exc)))
            return
        self.post_message(message)

    def on_load_failed(self, message: LoadFailed) -> None:
        if message.what == "pair":
            self.query_one("#runs", DataTable).loading = False
        if message.what == "check":
            self.query_one("#start", Button).loading = False
            self.query_one("#model", Input).focus()
        self.notify(message.error, severity="error", markup=False)

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        self._show_history(message.audits, message.runs)

    def on_audit_opened(self, message: AuditOpened) -> None:
        result = message.result
        profile = result.profile or {}
        about = (
            f"profile {profile.get('name', '?')} · model "
            f"{profile.get('model', {}).get('source', '?')} · read from the store"
        )
        self.app.push_screen(
            ResultsScreen(
                self.backend,
                result.table,
                result.baseline_run,
                result.aligned_run,
                result.audit_id,
                about,
                heldout_ids=result.heldout_ids or None,
                result=result,
                candidates=message.candidates,
            )
        )
        if message.why:
            self.app.notify(
                f"candidates not judged: {message.why}", severity="warning", markup=False
            )

    def on_audit_deleted(self, message: AuditDeleted) -> None:
        runs = message.runs
        kept = "" if runs else "; its runs are kept (other audits use them)"
        self.notify(
            f"deleted {message.audit_id} and {len(runs)} stored run"
            f"{'' if len(runs) == 1 else 's'}{kept}",
            markup=False,
        )
        self.load_history()

    def on_runs_compared(self, message: RunsCompared) -> None:
        self.query_one("#runs", DataTable).loading = False
        self.app.push_screen(
            ResultsScreen(self.backend, message.table, message.run_a, message.run_b, "stored runs")
        )

    def _show_history(self, audits: list[dict], runs: list[dict]) -> None:
        self.audits, self.runs = audits, runs
        show_audits(self.query_one("#audits", DataTable), audits)
        hint = self.query_one("#empty-hint", Static)
        hint.display = not audits
        hint.update(
            Text(
                "No audits stored yet: pick a profile (demo runs on CPU in a few "
                "minutes) and press s to start one.",
                style="dim",
            )
        )
        show_runs(self.query_one("#runs", DataTable), runs, self.pair)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "audits":
            return
        event.stop()
        audit = next(a for a in self.audits if a["id"] == event.row_key.value)
        backend, audit_id = self.backend, audit["id"]
        if audit["status"] == "done":
            self.background(lambda: AuditOpened(*backend.open_audit(audit_id)), "audit")
        else:
            self.notify(f"audit {audit_id} is {audit['status']}: resuming it", markup=False)
            self.background(
                lambda: AuditChecked(backend.check(backend.audit_profile(audit_id))), "check"
            )
