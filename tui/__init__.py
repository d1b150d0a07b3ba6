"""The spillover terminal UI (Textual): a guest of the engine in ``auditor``.

``SpilloverApp`` runs audits in a thread worker and shows them live; the engine never
imports this package.
"""

from __future__ import annotations

__all__ = ["SpilloverApp"]


def __getattr__(name: str):
    """``SpilloverApp`` on first use, so importing ``tui.cli`` does not start Textual."""
    if name == "SpilloverApp":
        from tui.app import SpilloverApp

        return SpilloverApp
    raise AttributeError(name)
