"""The spillover Textual app: screens, global keys and the engine backend."""

from __future__ import annotations

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
        for screen in self.screen_stack:  # stop a running audit; stored work stays
            event = getattr(screen, "cancel_event", None)
            if event is not None:
                event.set()
        self.exit()
