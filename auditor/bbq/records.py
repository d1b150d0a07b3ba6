"""One BBQ record (a JSON object) checked field by field and turned into an `Item`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from auditor.bbq.roles import derive_roles
from auditor.core.errors import DataError
from auditor.core.items import CATEGORIES, CONTEXTS, POLARITIES, UNKNOWN, Item, Option, item_id

FIELDS: dict[str, type] = {
    "example_id": int,
    "question_index": str,
    "question_polarity": str,
    "context_condition": str,
    "category": str,
    "answer_info": dict,
    "additional_metadata": dict,
    "context": str,
    "question": str,
    "ans0": str,
    "ans1": str,
    "ans2": str,
    "label": int,
}
"""Every field of a BBQ record and its JSON type."""

ANSWER_KEYS = ("ans0", "ans1", "ans2")


def _type_name(value: Any) -> str:
    return {
        dict: "object",
        list: "array",
        str: "string",
        bool: "boolean",
        int: "integer",
        float: "number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


MAX_TEXT = 20_000
"""Longest text field accepted, in characters (BBQ contexts are under 2,000)."""
MAX_INT = 10**9
"""Largest integer accepted for an id or label."""


def _check_type(value: Any, want: type, path: str, line: int | None, field: str) -> None:
    ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
    if not ok:
        raise DataError(
            path, line, field, f"expected {_type_name(want())}, got {_type_name(value)}"
        )
    if want is str and len(value) > MAX_TEXT:
        raise DataError(path, line, field, f"text longer than {MAX_TEXT:,} characters; refused")
    if want is int and abs(value) > MAX_INT:
        raise DataError(path, line, field, f"integer out of range (|n| > {MAX_INT:,})")


def check_encodable(row: Any, path: str, line: int | None) -> None:
    """Refuse a row whose text holds a lone surrogate (JSON allows it, UTF-8 does not)."""
    try:
        json.dumps(row, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise DataError(
            path, line, None, "text holds a lone surrogate (\\ud800-\\udfff); not valid Unicode"
        ) from None


def check_fields(row: Any, path: str, line: int | None, *, strict: bool = True) -> None:
    """Raise `DataError` unless ``row`` has every BBQ field with the right type.

    ``strict`` also rejects fields BBQ does not have.
    """
    if not isinstance(row, Mapping):
        raise DataError(path, line, None, f"expected a JSON object, got {_type_name(row)}")
    for field, want in FIELDS.items():
        if field not in row:
            raise DataError(path, line, field, "missing field")
        _check_type(row[field], want, path, line, field)
    if strict:
        extra = sorted(set(row) - set(FIELDS))
        if extra:
            raise DataError(path, line, extra[0], "unexpected field (not in the BBQ layout)")


def _answer_info(row: Mapping[str, Any], path: str, line: int | None) -> list[tuple[str, str]]:
    info = row["answer_info"]
    if sorted(info) != list(ANSWER_KEYS):
        raise DataError(path, line, "answer_info", "expected exactly the keys ans0, ans1, ans2")
    pairs = []
    for key in ANSWER_KEYS:
        pair = info[key]
        if (
            not isinstance(pair, (list, tuple))
            or len(pair) != 2
            or not all(isinstance(p, str) for p in pair)
        ):
            raise DataError(
                path, line, f"answer_info.{key}", "expected [text, group tag] (two strings)"
            )
        pairs.append((pair[0], pair[1]))
    return pairs


def _metadata(row: Mapping[str, Any], path: str, line: int | None) -> tuple[tuple[str, ...], str]:
    meta = row["additional_metadata"]
    groups = meta.get("stereotyped_groups")
    if not isinstance(groups, (list, tuple)) or not all(isinstance(g, str) for g in groups):
        raise DataError(
            path, line, "additional_metadata.stereotyped_groups", "expected a list of strings"
        )
    sub = meta.get("subcategory", "")
    if not isinstance(sub, str):
        raise DataError(
            path, line, "additional_metadata.subcategory", f"expected string, got {_type_name(sub)}"
        )
    return tuple(groups), sub


def parse_record(
    row: Any,
    path: str,
    line: int | None,
    *,
    strict: bool = True,
    target_loc: int | None = None,
) -> Item:
    """Validate one BBQ record and build its `Item` (roles derived, None if undeterminable)."""
    check_fields(row, path, line, strict=strict)
    category = row["category"]
    if category not in CATEGORIES:
        raise DataError(
            path,
            line,
            "category",
            f"unknown category {category!r} (expected one of {', '.join(CATEGORIES)})",
        )
    if row["context_condition"] not in CONTEXTS:
        raise DataError(
            path,
            line,
            "context_condition",
            f"expected 'ambig' or 'disambig', got {row['context_condition']!r}",
        )
    if row["question_polarity"] not in POLARITIES:
        raise DataError(
            path,
            line,
            "question_polarity",
            f"expected 'neg' or 'nonneg', got {row['question_polarity']!r}",
        )
    label = row["label"]
    if not 0 <= label <= 2:
        raise DataError(path, line, "label", f"label {label} out of range (expected 0, 1 or 2)")
    infos = _answer_info(row, path, line)
    unknowns = [i for i, (_, tag) in enumerate(infos) if tag.strip().lower() == UNKNOWN]
    if len(unknowns) != 1:
        raise DataError(
            path,
            line,
            "answer_info",
            f"expected exactly one option tagged 'unknown', found {len(unknowns)}",
        )
    groups, subcategory = _metadata(row, path, line)
    unknown = unknowns[0]
    if (label == unknown) != (row["context_condition"] == "ambig"):
        want = "the" if row["context_condition"] == "ambig" else "not the"
        raise DataError(
            path,
            line,
            "label",
            f"label {label} in a {row['context_condition']} row must be {want} "
            f"unknown option ({unknown})",
        )
    first, second, third = (
        Option(row[k], tag) for k, (_, tag) in zip(ANSWER_KEYS, infos, strict=True)
    )
    return Item(
        id=item_id(category, row["example_id"]),
        attribute=category,
        example_id=row["example_id"],
        context_condition=row["context_condition"],
        polarity=row["question_polarity"],
        question_index=row["question_index"],
        context=row["context"],
        question=row["question"],
        options=(first, second, third),
        label=label,
        stereotyped_groups=groups,
        subcategory=subcategory,
        unknown_index=unknown,
        roles=derive_roles(infos, groups, row["question_polarity"], unknown, target_loc),
    )
