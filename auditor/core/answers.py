"""What a model answered for one item: the unit every run stores and every statistic reads."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.core.items import Item


@dataclass(frozen=True, slots=True)
class Answer:
    """A model's answer to one item.

    ``predicted`` is the chosen option index, or None when a generated answer could not
    be parsed (counted as invalid). ``scores`` holds one number per option where the
    scoring mode produces them; ``text`` holds generated output in generate mode.
    """

    item_id: str
    predicted: int | None
    scores: tuple[float, ...] = ()
    text: str = ""

    def role(self, item: Item) -> str | None:
        """Role of the chosen option (biased / anti_biased / unknown), None if invalid."""
        return item.role_of(self.predicted)

    def correct(self, item: Item) -> bool:
        return self.predicted is not None and self.predicted == item.label
