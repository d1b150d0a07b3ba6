"""BBQ's ``supplemental/additional_metadata.csv``: the official ``target_loc`` per item."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from auditor.core.errors import DataError

NAME = "additional_metadata.csv"
REQUIRED = ("category", "example_id", "target_loc")


def parse_target_locs(text: str, path: str) -> dict[tuple[str, int], int | None]:
    """Map ``(category, example_id)`` to ``target_loc`` (None where the CSV says NA).

    ``target_loc`` is the index of the biased answer for the row's question polarity
    (BBQ's scoring script counts choosing it as a biased answer in both polarities).
    """
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise DataError(path, None, None, "empty file")
    header = [h.strip().lstrip("\ufeff") for h in header]
    for col in REQUIRED:
        if col not in header:
            raise DataError(path, 1, col, "missing column")
    ci, ei, ti = (header.index(c) for c in REQUIRED)
    out: dict[tuple[str, int], int | None] = {}
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) <= max(ci, ei, ti):
            raise DataError(path, line, None, f"expected {len(header)} columns, got {len(row)}")
        try:
            example_id = int(row[ei])
        except ValueError:
            raise DataError(
                path, line, "example_id", f"expected an integer, got {row[ei]!r}"
            ) from None
        out[(row[ci].strip(), example_id)] = _target(row[ti])
    return out


def _target(value: str) -> int | None:
    try:
        number = float(value)
    except ValueError:
        return None  # "NA" or empty: the official file leaves some rows without one
    return int(number) if number in (0, 1, 2) else None


def find_metadata(root: Path) -> Path | None:
    """The metadata CSV beside the data: ``supplemental/``, the folder itself or ``data/``."""
    for candidate in (root / "supplemental" / NAME, root / NAME, root / "data" / NAME):
        if candidate.is_file():
            return candidate
    return None
