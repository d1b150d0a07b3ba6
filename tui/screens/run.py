"""The run screen: an audit running in a thread worker, its progress drawn live.

The worker only calls the backend and posts messages; events reach this screen through
an ``EventBridge`` and are folded into an ``AuditProgress`` here, on the UI thread.
Cancelling sets a ``threading.Event`` the engine polls: stored work stays, and starting
the same profile again resumes it. A resumed training run's stored steps are drawn before
its live ones; a finished run whose adapter went missing is asked about, never retrained
silently.
"""

from __future__ import annotations

import threading

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from auditor.audit.candidate_settings import table_target
from auditor.audit.preflight import MissingAdapter
from auditor.core.errors import SpilloverError
from auditor.core.events import Cancelled
from auditor.reports.rich import caption
from tui.bridge import AnySet, EventBridge
from tui.messages import (
    AdapterMissing,
    AuditFinished,
    AuditStopped,
    EngineEvents,
    TrainLogLoaded,
)
from tui.screens.adapter import MissingAdapterScreen
from tui.screens.finished import FinishedActions
from tui.screens.trajectory import has_trajectory
from tui.state import CANCELLED, FAILED, progress_for
from tui.widgets.candidates import CandidatePicker
from tui.widgets.progress import EvalProgress
from tui.widgets.spillover import SpilloverView
from tui.widgets.stages import StageTracker
from tui.widgets.training import TrainingPanel

LOG_LINES = 3
LEVEL_STYLES = {"info": "dim", "warning": "yellow", "error": "bold red"}


def message_lines(messages) -> Text:
    """The engine's latest notes, one a line, as plain text (never markup)."""
    return Text("\n").join(
        Text(m.text, style=LEVEL_STYLES.get(m.level, ""), no_wrap=True, overflow="ellipsis")
        for m in messages
    )


class RunScreen(FinishedActions, Screen):
    """Run (or resume) the audit of ``profile`` and show it live."""

    BINDINGS = [
        Binding("c", "cancel", "Cancel audit"),
        Binding("left_square_bracket", "seed(-1)", "Prev seed"),
        Binding("right_square_bracket", "seed(1)", "Next seed"),
        Binding("v", "views", "Format views"),
        Binding("e", "export", "Export"),
        Binding("t", "trajectory", "Trajectory"),
        Binding("n", "candidate", "Next candidate"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, backend, profile) -> None:
        super().__init__()
        self.backend, self.profile = backend, profile
        self.progress = progress_for(profile)
        self.shown_seed: int | None = None  # the seed whose curves show (None: the one training)
        self.cancel_event = threading.Event()
        self.bridge = EventBridge(self)
        self.result = None  # of several candidates: the one shown
        self.candidates: list = []  # a candidate audit of several: (result, verdict) each
        self.status = "running"
        self.missing: dict = {}  # what to do about a missing adapter, once asked
        self.resumed_from = 0  # the first live step of a resumed training run
        self.trains = "align" in self.progress.stages  # a candidate audit trains nothing

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self._heading(), id="run-title")
        with Horizontal(id="run-top"):
            with Vertical(id="run-left"):
                yield StageTracker(id="stages")
                if self.trains:
                    yield EvalProgress(id="eval-progress")
                yield Static("", id="run-status")
                yield Static("", id="run-log")
            # an audit that trains nothing (candidates): its evaluations in the right pane
            yield TrainingPanel(id="training") if self.trains else EvalProgress(id="eval-progress")
        with VerticalScroll(id="run-body"):
            yield SpilloverView(id="run-table")
            yield Static("", id="run-caption")
        yield Footer()

    def _heading(self) -> Text:
        p = self.profile
        text = Text(f"audit: {p.name}", style="bold")
        target = ", ".join(table_target(p)) or "none named"
        text.append(f"   model {p.model.source}   target {target}", style="dim")
        return text

    def on_mount(self) -> None:
        # an untrained format adds two stages and two evaluations: taller boxes
        self.query_one("#run-top").set_class(bool(self.progress.transfer), "formats")
        self.query_one("#run-top").set_class(not self.trains, "untrained")
        self.query_one("#stages", StageTracker).border_title = "stages"
        self.query_one("#eval-progress", EvalProgress).border_title = "evaluation"
        self._redraw({"stages", "eval", "table"})
        self._set_status(Text("running… press c to cancel (stored work is kept)", style="dim"))
        self.run_audit()

    # -- the worker ------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="audit")
    def run_audit(self) -> None:
        cancel = AnySet(self.cancel_event, get_current_worker().cancelled_event)
        try:
            results = None if self.missing else self.backend.finished_results(self.profile)
            read = results is not None  # finished before: read back, nothing runs
            if not read:
                results = self.backend.run_audit(
                    self.profile, reporter=self.bridge, cancel=cancel, **self.missing
                )
        except MissingAdapter as exc:  # nothing ran yet: ask, then start again
            self.post_message(AdapterMissing(exc))
        except Cancelled:
            self.post_message(AuditStopped(CANCELLED, "cancelled"))
        except SpilloverError as exc:
            self.post_message(AuditStopped(FAILED, str(exc)))
        except Exception as exc:  # shown on screen; the app keeps running
            self.post_message(AuditStopped(FAILED, f"{type(exc).__name__}: {exc}"))
        else:
            result = results[-1]
            steps = self.backend.train_steps(result.train_run) if result.train_run else ()
            by_seed = {
                r["seed"]: self.backend.train_steps(r["train_run"])
                for r in result.replicates
                if r.get("train_run")
            }
            judged, why = self.backend.judged(results)
            self.post_message(AuditFinished(result, steps, by_seed, read, judged, why))

    @work(thread=True, exclusive=True, exit_on_error=False, group="train-log")
    def load_train_log(self, first_step: int) -> None:
        try:
            steps = self.backend.resumed_train_log(first_step)
        except Exception:  # the curve keeps its live steps; nothing else depends on it
            return
        self.post_message(TrainLogLoaded(steps))

    # -- messages from the worker ----------------------------------------------------
    def on_engine_events(self, message: EngineEvents) -> None:
        changed: set[str] = set()
        for event in self.bridge.drain():
            changed |= self.progress.apply(event)
        first = self.progress.train[0].step if self.progress.train else 0
        if first > 1 and not self.resumed_from:  # a resumed run: its earlier steps are stored
            self.resumed_from = first
            self.load_train_log(first)
        self._redraw(changed)

    def on_train_log_loaded(self, message: TrainLogLoaded) -> None:
        if self.progress.prepend_train(message.steps):
            self._redraw({"train"})

    def on_adapter_missing(self, message: AdapterMissing) -> None:
        def chosen(choice: dict | None) -> None:
            if choice is None:
                self.on_audit_stopped(AuditStopped(CANCELLED, "not resumed: adapter missing"))
                self._set_status(
                    Text(
                        "■ not resumed: the trained adapter is missing; the "
                        "stored audit is unchanged (start it again to choose)",
                        style="yellow",
                    )
                )
                return
            self.missing = choice
            self._set_status(Text("running… press c to cancel (stored work is kept)", style="dim"))
            self.run_audit()

        self._set_status(
            Text("the trained adapter is missing: retrain or point to it", style="yellow")
        )
        self.app.push_screen(MissingAdapterScreen(message.problem), chosen)

    def on_audit_finished(self, message: AuditFinished) -> None:
        self.result, self.status = message.result, "done"
        self.refresh_bindings()
        self.set_class(True, "finished")  # the table gets the room
        self.progress.table = message.result.table
        changed = {"table", "stages"}
        if message.from_store:
            self.progress.read_back(message.result, [r for r, _v in message.candidates])
            changed |= {"eval", "train"}
        if message.stored_steps and not self.progress.train:  # the reused run's own log
            self.progress.train = message.stored_steps
            changed.add("train")
        for seed, steps in message.seed_steps.items():  # replicates trained earlier
            if steps and not self.progress.steps_of(seed):
                self.progress.trains[seed] = steps
                changed.add("train")
        self.progress.filling = None  # the finished table is the pooled one
        self.candidates = message.candidates
        if message.why:
            self.notify(f"candidates not judged: {message.why}", severity="warning", markup=False)
        several = ""
        if len(self.candidates) > 1:  # the worst candidate first; the list picks another
            picker = CandidatePicker(self.candidates, id="candidates")
            self.result = self.candidates[picker.first][0]
            self.progress.table = self.result.table
            self.query_one("#run-body").mount(picker, before=self.query_one(SpilloverView))
            several = f" {len(self.candidates)} candidates, the worst shown (n: next) ·"
        self._redraw(changed)
        views = " · v: format views" if self.check_action("views", ()) else ""
        done = "finished earlier, read from the store" if message.from_store else "finished"
        self._set_status(
            Text(f"✓ audit {done}:{several} Enter on a cell shows its items{views}", style="green")
        )
        self.query_one(SpilloverView).focus()

    def on_audit_stopped(self, message: AuditStopped) -> None:
        self.status = message.status
        self.refresh_bindings()
        self.progress.stop(message.status, message.text)
        self._redraw({"stages", "eval", "train", "table"})
        if message.status == CANCELLED:
            self._set_status(
                Text(
                    "■ cancelled: stored results are kept; start the same profile again to resume",
                    style="yellow",
                )
            )
        else:
            self._set_status(Text("✗ failed: ", style="bold red").append(message.text))

    def _set_status(self, text: Text) -> None:
        self.query_one("#run-status", Static).update(text)

    def _redraw(self, changed: set[str]) -> None:
        p = self.progress
        stopped = self.status if self.status in (FAILED, CANCELLED) else None
        if "stages" in changed:
            self.query_one(StageTracker).show(list(p.stages.values()))
        if "eval" in changed:
            evals = ("baseline", "aligned", "candidate")
            stages = tuple(n for n in p.stages if n.startswith(evals))
            self.query_one(EvalProgress).show(
                p.evals, p.stored, stopped, stages, rotated=p.orders != "none"
            )
        if "train" in changed and self.trains:
            seed = self.shown_seed if self.shown_seed is not None else p.train_seed
            steps = p.steps_of(seed)
            stored = (
                "align" in p.stored
                if seed is None
                else p.stages["align"].seeds.get(seed) == "reused"
            )
            self.query_one(TrainingPanel).show(steps, stored, stopped, seed, p.seeds)
        if "messages" in changed:
            self.query_one("#run-log", Static).update(message_lines(p.messages[-LOG_LINES:]))
        if "table" in changed:
            table, seed = p.shown_table()
            self.query_one(SpilloverView).show(table, stopped=stopped is not None)
            if seed is not None:
                text = Text(
                    f"Seed {seed}'s own table against the baseline "
                    f"({p.seeds.index(seed) + 1} of {len(p.seeds)}): each seed fills "
                    "in turn, then the table pooled over the seeds.",
                    style="dim",
                )
            elif self.result is not None:
                text = caption(p.table)
            elif stopped:
                text = Text(
                    f"The audit {stopped} before the comparison finished: cells marked "
                    "— were not computed. Markers and verdicts are corrected over the "
                    "cells present.",
                    style="dim",
                )
            else:
                text = Text(
                    "Partial table: cells fill in as the comparison runs; "
                    "… marks cells still running. Markers and verdicts are "
                    "re-corrected over the cells present.",
                    style="dim",
                )
            self.query_one("#run-caption", Static).update(text)

    # -- actions ---------------------------------------------------------------------
    def check_action(self, action: str, parameters) -> bool | None:
        """Cancel only while running; the footer drops it afterwards. The seed keys only
        with seed replicates."""
        if action == "seed":
            return len(self.progress.seeds) > 1
        if action == "candidate":
            return len(self.candidates) > 1
        if action == "export":  # the finished audit's report
            return self.result is not None
        if action == "trajectory":  # a finished audit's spillover over training
            return self.result is not None and has_trajectory(self.result, self.candidates)
        if action == "views":  # a finished audit with format controls
            r = self.result
            return r is not None and (r.transfer is not None or bool(r.rotation))
        return self.status == "running" if action == "cancel" else True

    def action_seed(self, step: int) -> None:
        """Show the previous or next seed's training curves."""
        seeds = self.progress.seeds
        if len(seeds) < 2:
            return
        now = self.shown_seed if self.shown_seed is not None else self.progress.train_seed
        index = seeds.index(now) if now in seeds else 0
        self.shown_seed = seeds[(index + step) % len(seeds)]
        self._redraw({"train"})

    def action_cancel(self) -> None:
        if self.status == "running" and not self.cancel_event.is_set():
            self.cancel_event.set()
            self._set_status(Text("cancelling… waiting for the engine to stop", style="yellow"))

    def action_back(self) -> None:
        if self.status == "running":
            self.notify("the audit is running: press c to cancel it first", severity="warning")
            return
        self.app.pop_screen()

    def on_unmount(self) -> None:
        self.cancel_event.set()  # leaving the screen or the app stops the engine
