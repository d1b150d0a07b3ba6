"""The spillover Textual app: screens, global keys and the engine backend."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding

from auditor.reports.formats import APP_FORMATS
from tui.backend import Backend
from tui.screens.help import HelpScreen
from tui.screens.home import HomeScreen

COMMANDS = (  # screen action, palette title, help
    ("start", "Start audit", "audit the chosen profile and model (resumes a stored one)"),
    ("compare", "Compare marked runs", "the spillover table of the base and aligned runs marked"),
    (
        "matrix",
        "Open spillover matrix",
        "the chosen profile's methods × targets, read from the store",
    ),
    ("delete", "Delete audit", "delete the audit under the cursor of the audits list"),
    ("refresh", "Reload stored audits and runs", "read the store again"),
    ("cancel", "Cancel audit", "stop the running audit at its next batch or step"),
    (
        "export",
        "Export table",
        "write the report as the command line does: "
        + ", ".join(f.label.split(" (")[0] for f in APP_FORMATS),
    ),
)


class SpilloverApp(App):
    """Audit bias spillover interactively; ``backend`` is the engine (tests replace it)."""

    CSS_PATH = "app.tcss"
    TITLE = "spillover"
    SUB_TITLE = "bias spillover auditor"
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, backend: Backend | None = None, *, profile: str | None = None) -> None:
        super().__init__()
        self.backend = backend or Backend()
        self.profile = profile

    def on_mount(self) -> None:
        self.push_screen(HomeScreen(self.backend, self.profile))

    def get_system_commands(self, screen):
        """Textual's commands, then this screen's own (the same actions as its keys)."""
        yield from super().get_system_commands(screen)
        for action, title, help_text in COMMANDS:
            method = getattr(screen, f"action_{action}", None)
            if method is not None and screen.check_action(action, ()) is not False:
                yield SystemCommand(title, help_text, method)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        running = False
        for screen in self.screen_stack:  # stop a running audit; stored work stays
            event = getattr(screen, "cancel_event", None)
            if event is not None:
                event.set()
                running = running or getattr(screen, "status", "") == "running"
        if running:  # the engine stops at its next batch or step: say so meanwhile
            self.notify(
                "stopping the audit at its next batch or step; stored work is kept",
                title="quitting",
                timeout=60,
            )
            self.call_after_refresh(self.exit)
            return
        self.exit()

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """Save into ``path`` or the working folder (which exists), and say where."""
        try:
            folder = Path(path) if path else Path.cwd()
            folder.mkdir(parents=True, exist_ok=True)
            written = self.save_screenshot(filename, str(folder), time_format)
        except OSError as exc:
            self.notify(f"screenshot not saved: {exc}", severity="error", markup=False)
            return None
        self.notify(f"screenshot saved to {written}", markup=False)
        return written
