"""Export the report the command line writes (built by the engine), into the working folder."""

from __future__ import annotations

import re
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from auditor.core.errors import InputError
from auditor.reports.formats import APP_FORMATS, BY_NAME


def export_path(title: str, run_a: str, run_b: str, ext: str, folder: Path | None = None) -> Path:
    """``<folder>/spillover-<audit or runs>.<ext>``, a file name safe on any system."""
    subject = title if title.startswith("audit-") else f"{run_a}-vs-{run_b}"
    return (folder or Path.cwd()) / f"spillover-{re.sub(r'[^A-Za-z0-9_.-]', '_', subject)}.{ext}"


def export_report(
    backend,
    fmt: str,
    title: str,
    run_a: str,
    run_b: str,
    *,
    result=None,
    target: tuple[str, ...] = (),
    folder: Path | None = None,
) -> Path:
    """Write, as ``fmt`` (one of APP_FORMATS), the report the command line writes for the
    same audit (``result``) or stored runs; returns the path written."""
    from auditor.reports.formats import write_report

    ext = BY_NAME[fmt].suffixes[0].lstrip(".")
    report = backend.report(
        result=result,
        runs=None if result is not None else (run_a, run_b),
        target=target,
        flips=fmt == "html",
    )
    return write_report(report, fmt, export_path(title, run_a, run_b, ext, folder))


def export_and_tell(screen, fmt: str | None, title: str, run_a: str, run_b: str, **kw) -> None:
    """``export_report`` for ``screen`` (a format picked, None: nothing), saying on it
    what was written or why not."""
    if fmt is None:
        return
    try:
        path = export_report(screen.backend, fmt, title, run_a, run_b, **kw)
    except (OSError, InputError) as exc:
        screen.notify(f"export failed: {exc}", severity="error", markup=False)
        return
    screen.notify(f"wrote {path}", title="exported", markup=False)


class ExportScreen(ModalScreen[str | None]):
    """Pick a format; dismisses with it (None: escape)."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="export"):
            yield Static(Text("export the report as", style="bold"))
            yield OptionList(
                *(Option(f.label, id=f.name) for f in APP_FORMATS), id="export-formats"
            )
            yield Static(Text(f"into {Path.cwd()}", style="dim"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
