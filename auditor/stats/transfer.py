"""Format transfer: does a change seen in the trained prompt format hold in an untrained one?

Both tables compare the same base and aligned models; one in the audit's own format (the
one DPO trained on), one in a format DPO never saw (cloze). Per attribute × context ×
metric, a reading from the two cells' verdicts:

- "holds in both formats": significant in both, in the same direction;
- "only in the trained format": significant there, not in the untrained one;
- "only in the untrained format": the other way round;
- "opposite in the two formats": significant in both, in opposite directions;
- "no change in either format": significant in neither;
- "undefined": a test could not be made in one of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from auditor.stats.table import COLUMNS, DEGRADED, IMPROVED, SpilloverTable

BOTH, TRAINED_ONLY, UNTRAINED_ONLY = (
    "holds in both formats",
    "only in the trained format",
    "only in the untrained format",
)
OPPOSITE, NEITHER, UNDEFINED_READING = (
    "opposite in the two formats",
    "no change in either format",
    "undefined",
)
SIGNIFICANT = (IMPROVED, DEGRADED)


@dataclass(frozen=True, slots=True)
class Reading:
    attribute: str
    context: str
    metric: str
    trained: str  # verdict in the trained format
    transfer: str  # verdict in the untrained format
    reading: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_pair(trained: str, transfer: str) -> str:
    """The reading of one metric from its two verdicts."""
    sig = (trained in SIGNIFICANT, transfer in SIGNIFICANT)
    if sig == (True, True):
        return BOTH if trained == transfer else OPPOSITE
    if sig == (True, False):
        return TRAINED_ONLY if transfer != "undefined" else UNDEFINED_READING
    if sig == (False, True):
        return UNTRAINED_ONLY if trained != "undefined" else UNDEFINED_READING
    return UNDEFINED_READING if "undefined" in (trained, transfer) else NEITHER


def readings(trained: SpilloverTable, transfer: SpilloverTable) -> tuple[Reading, ...]:
    """A reading for every cell and metric the two tables share."""
    out = []
    for attribute in trained.attributes:
        for context in COLUMNS:
            a, b = trained.cell(attribute, context), transfer.cell(attribute, context)
            if a is None or b is None:
                continue
            for metric in ("accuracy", "bias") if context != "overall" else ("accuracy",):
                va, vb = getattr(a, metric).verdict, getattr(b, metric).verdict
                out.append(Reading(attribute, context, metric, va, vb, read_pair(va, vb)))
    return tuple(out)


def cell_line(readings_: tuple[Reading, ...], attribute: str, context: str) -> str:
    """One line for a cell: 'accuracy: holds in both formats; bias: ...'."""
    parts = [
        f"{r.metric}: {r.reading}"
        for r in readings_
        if r.attribute == attribute and r.context == context
    ]
    return "; ".join(parts)
