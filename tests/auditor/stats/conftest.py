"""Fixtures for the statistics tests: real BBQ-lite items and a small item factory."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.core.answers import Answer
from auditor.core.items import Item, Option, Roles


@pytest.fixture(scope="session")
def lite_items(bbq_lite: Path) -> dict[str, Item]:
    """All BBQ-lite items (nine attributes), keyed by id."""
    from auditor.bbq import load_bbq

    return load_bbq(bbq_lite).by_id()


def _make_item(
    n: int,
    context: str,
    polarity: str = "neg",
    template: int | None = None,
    attribute: str = "Age",
    roles: bool = True,
    label: int | None = None,
) -> Item:
    """Option 0 unknown, 1 biased, 2 anti-biased; four items to a template by default."""
    t = n // 4 if template is None else template
    options = (
        Option("Unknown", "unknown"),
        Option(f"old {t}", "old"),
        Option(f"young {t}", "nonOld"),
    )
    if label is None:
        label = 0 if context == "ambig" else 1
    return Item(
        id=f"{attribute}:{n}",
        attribute=attribute,
        example_id=n,
        context_condition=context,
        polarity=polarity,
        question_index=str(t),
        context="c",
        question="q",
        options=options,
        label=label,
        stereotyped_groups=("old",),
        subcategory="",
        unknown_index=0,
        roles=Roles(biased=1, anti_biased=2, unknown=0) if roles else None,
    )


@pytest.fixture
def make_item():
    return _make_item


def answers_by(items: dict[str, Item], choose) -> list[Answer]:
    """One answer per item: ``choose(item)`` gives the option index (or None)."""
    return [Answer(item.id, choose(item)) for item in items.values()]


@pytest.fixture
def answer_all():
    return answers_by
