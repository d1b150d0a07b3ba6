"""The help screen (``?``): what each screen shows and the keys that drive it."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (
    ("anywhere", "?", "this help"),
    ("", "q / ctrl+q", "quit (a running audit is cancelled; stored work stays)"),
    ("", "escape", "back"),
    ("home", "↑ ↓ / click", "choose a profile; its model fills the model field"),
    (
        "",
        "items · DPO steps",
        "sample size and training steps (--set data.sample, align.max_steps)",
    ),
    ("", "s / Enter in model", "check model and data, then start (the same profile resumes)"),
    ("", "Enter on an audit", "open a finished audit, or resume an unfinished one"),
    ("", "b  a  c", "on stored runs: mark base, mark aligned, compare the two"),
    ("", "r", "reload stored audits and runs"),
    ("", "m", "the chosen profile's spillover matrix (run `spillover matrix` first)"),
    ("", "d", "delete the audit under the cursor (asks first; shared runs stay)"),
    ("run", "c", "cancel the audit at the next batch or step"),
    ("", "[  ]", "with seed replicates: the previous / next seed's training curves"),
    ("", "v", "when finished: the audit's format views (format transfer, rotation)"),
    ("", "e", "when finished: export the report (JSON, Markdown, JUnit, CSV, HTML)"),
    ("", "n", "several candidates: the next one's table (or pick one in the list)"),
    ("results", "arrows / click", "move between cells"),
    ("", "v", "trained format · format transfer · rotation views, when the audit has them"),
    ("", "e  n", "export the report; several candidates: the next one's table"),
    ("", "Enter", "the items behind the cell (attribute column: all contexts)"),
    ("matrix", "x  Enter", "change context; open the recipe's audit on that cell"),
    ("drill-down", "a  f  x  w  r", "all, failing, flipped, flipped to wrong, to right"),
    ("", "/", "search item ids and text; click a column header to sort by it"),
    ("", "y", "copy the highlighted item to the clipboard"),
    ("", "↑ ↓", "show an item: context, question, options with roles, both answers"),
)

LEGEND = (
    "Δ = aligned − base. Accuracy in percentage points, McNemar test; bias score (BBQ, "
    "Parrish et al. 2022) with a paired cluster bootstrap. Markers: ▲/▼ direction, * p<0.05, "
    "** p<0.01, *** p<0.001 after the table's multiple-testing correction. Each cell also "
    "says its verdict in words: improved, degraded, n.s. (no significant change), — (undefined). "
    "For bias, degraded means |bias| moved away from 0. ◆ marks the target attribute."
)


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,question_mark,q", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        grid = Table(box=None, show_header=False, padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column(style="cyan", no_wrap=True)
        grid.add_column()
        for where, keys, what in KEYS:
            grid.add_row(where, keys, what)
        with VerticalScroll(id="help"):
            yield Static(Text("spillover — keys", style="bold"))
            yield Static(grid)
            yield Static(Text("\n" + LEGEND))
            yield Static(Text("\nescape closes this help", style="dim"))
