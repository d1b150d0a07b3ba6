"""The report document: what was compared, the spillover table, and the gate's verdict."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from auditor.audit.gate import GateResult
from auditor.audit.trajectory import Trajectory
from auditor.stats.table import SpilloverTable
from auditor.stats.transfer import Reading

SCHEMA = "spillover.report/2"
"""/2 added ``rotation`` and ``format_transfer`` (null when the audit has none), and the
table's ``gaps``; a /1 reader that ignores unknown keys reads /2 unchanged. ``trajectory``
came later, present only for an audit with one: a key a /2 reader may ignore."""


@dataclass(frozen=True)
class Report:
    """One comparison's report. ``subject`` names what was compared (audit id, runs)."""

    table: SpilloverTable
    subject: dict[str, Any] = field(default_factory=dict)
    gate: GateResult | None = None
    target_all: SpilloverTable | None = None
    flips: tuple[dict[str, Any], ...] = ()  # flipped items (drill-down rows) for the HTML report
    rotation: dict[str, Any] | None = None  # RotationChange.to_dict(): position bias, consistency
    transfer: SpilloverTable | None = None  # the same comparison in an untrained format
    transfer_format: str = ""  # its name ("cloze")
    transfer_readings: tuple[Reading, ...] = ()  # stats.transfer.Reading, one per cell and metric
    trajectory: Trajectory | None = None  # Δ per cell per step of a training run

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "subject": self.subject,
            "table": self.table.to_dict(),
            "target_all_items": self.target_all.to_dict() if self.target_all else None,
            "gate": self.gate.to_dict() if self.gate else None,
            "rotation": self.rotation,
            "format_transfer": None
            if self.transfer is None
            else {
                "format": self.transfer_format,
                "table": self.transfer.to_dict(),
                "readings": [r.to_dict() for r in self.transfer_readings],
            },
        }
        if self.trajectory is not None:  # only then: a report without one reads as before
            out["trajectory"] = self.trajectory.to_dict()
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
