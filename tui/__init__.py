"""The spillover terminal UI (Textual): a guest of the engine in ``auditor``.

``SpilloverApp`` runs audits in a thread worker and shows them live; the engine never
imports this package.
"""

from __future__ import annotations

from .app import SpilloverApp

__all__ = ["SpilloverApp"]
