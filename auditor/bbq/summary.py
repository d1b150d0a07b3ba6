"""Counts that describe a loaded BBQ set: what `spillover data info` shows."""

from __future__ import annotations

from collections import Counter
from typing import Any

from auditor.bbq.loader import BBQData
from auditor.core.items import CONTEXTS, POLARITIES

CELLS: tuple[str, ...] = tuple(f"{c}/{p}" for c in CONTEXTS for p in POLARITIES)
"""Cell names, ``context/polarity``."""


def summarize(data: BBQData, max_ids: int = 20) -> dict[str, Any]:
    """Per attribute: items per cell, template instances and role exceptions.

    ``exception_ids`` lists the first ``max_ids`` role-derivation exceptions of each
    attribute (all of them are in ``data.exceptions``).
    """
    cells: dict[str, Counter[str]] = {a: Counter() for a in data.attributes}
    templates: dict[str, set[str]] = {a: set() for a in data.attributes}
    for item in data.items:
        cells[item.attribute][f"{item.context_condition}/{item.polarity}"] += 1
        templates[item.attribute].add(item.template)
    excepted: dict[str, list[str]] = {a: [] for a in data.attributes}
    for item_id in data.exceptions:
        excepted[item_id.split(":", 1)[0]].append(item_id)

    attributes = {}
    for attr in data.attributes:
        attributes[attr] = {
            "items": sum(cells[attr].values()),
            "cells": {cell: cells[attr][cell] for cell in CELLS},
            "templates": len(templates[attr]),
            "exceptions": len(excepted[attr]),
            "exception_ids": excepted[attr][:max_ids],
        }
    return {
        "source": data.source,
        "checksum": data.checksum,
        "items": len(data.items),
        "templates": sum(a["templates"] for a in attributes.values()),
        "exceptions": len(data.exceptions),
        "attributes": attributes,
    }
