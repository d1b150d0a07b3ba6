"""The spillover Textual app: screens, global keys and the engine backend."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

from .backend import Backend
from .screens.help import HelpScreen
from .screens.home import HomeScreen


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
            self.notify("stopping the audit at its next batch or step; stored work is kept",
                        title="quitting", timeout=60)
            self.call_after_refresh(self.exit)
            return
        self.exit()

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
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
