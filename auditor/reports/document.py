"""The report document: what was compared, the spillover table, and the gate's verdict."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from auditor.audit.gate import GateResult
from auditor.stats.table import SpilloverTable

SCHEMA = "spillover.report/1"


@dataclass(frozen=True)
class Report:
    """One comparison's report. ``subject`` names what was compared (audit id, runs)."""

    table: SpilloverTable
    subject: dict = field(default_factory=dict)
    gate: GateResult | None = None
    target_all: SpilloverTable | None = None
    flips: tuple[dict, ...] = ()  # flipped items (drill-down rows) for the HTML report

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "subject": self.subject,
            "table": self.table.to_dict(),
            "target_all_items": self.target_all.to_dict() if self.target_all else None,
            "gate": self.gate.to_dict() if self.gate else None,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
