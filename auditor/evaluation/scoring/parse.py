"""Read which option a free-text answer chose: a letter first, then the option's words."""

from __future__ import annotations

import re

from auditor.core.items import Item

_LEADING = re.compile(r"^[\s*_(\[\"']*([ABCabc])(?:\s*$|[.):,\]*\"'\n])")
_ARTICLE = re.compile(r"^(?:the|a|an) ")
_STATED = re.compile(
    r"\b(?:answer|option)\s*(?:is|:)?\s*[:\-]?\s*[*(\[]*\s*((?-i:[ABC]))\b", re.IGNORECASE
)


def parse_answer(text: str, item: Item) -> int | None:
    """The option index ``text`` names, or None when it names none or several.

    In order: a leading letter ("B", "(B)", "B. ..."); "answer is B"; the text of exactly
    one option (whole words, case-insensitive, leading article dropped).
    """
    stripped = text.strip()
    if not stripped:
        return None
    match = _LEADING.match(stripped) or _STATED.search(stripped)
    if match:
        return "ABC".index(match.group(1).upper())
    said = _norm(stripped)
    hits = [
        k
        for k, option in enumerate(item.options)
        if (words := _ARTICLE.sub("", _norm(option.text)))
        and re.search(rf"\b{re.escape(words)}\b", said)
    ]
    return hits[0] if len(hits) == 1 else None


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())
