"""Immutable BBQ item records and the vocabulary they use."""

from __future__ import annotations

from dataclasses import dataclass

ATTRIBUTES: tuple[str, ...] = (
    "Age",
    "Disability_status",
    "Gender_identity",
    "Nationality",
    "Physical_appearance",
    "Race_ethnicity",
    "Religion",
    "SES",
    "Sexual_orientation",
)
"""The nine single-attribute BBQ categories the audit covers."""

INTERSECTIONAL: tuple[str, ...] = ("Race_x_SES", "Race_x_gender")
"""Official BBQ categories that cross two attributes; loadable, never audited by default."""

CATEGORIES: tuple[str, ...] = ATTRIBUTES + INTERSECTIONAL

CONTEXTS: tuple[str, ...] = ("ambig", "disambig")
POLARITIES: tuple[str, ...] = ("neg", "nonneg")

BIASED = "biased"
ANTI_BIASED = "anti_biased"
UNKNOWN = "unknown"

LETTERS: tuple[str, ...] = ("A", "B", "C")


@dataclass(frozen=True, slots=True)
class Option:
    """One answer option: its text and BBQ's group tag for it."""

    text: str
    group: str


@dataclass(frozen=True, slots=True)
class Roles:
    """Which option index is biased, anti-biased and unknown."""

    biased: int
    anti_biased: int
    unknown: int

    def of(self, index: int) -> str:
        """The role name of option ``index``."""
        if index == self.biased:
            return BIASED
        if index == self.anti_biased:
            return ANTI_BIASED
        if index == self.unknown:
            return UNKNOWN
        raise ValueError(f"option index {index} out of range")


@dataclass(frozen=True, slots=True)
class Item:
    """One BBQ question with its context, three options and label.

    ``id`` is ``"<category>:<example_id>"``: example ids are unique only within a
    category. ``roles`` is None when the biased option cannot be determined.
    """

    id: str
    attribute: str
    example_id: int
    context_condition: str
    polarity: str
    question_index: str
    context: str
    question: str
    options: tuple[Option, Option, Option]
    label: int
    stereotyped_groups: tuple[str, ...]
    subcategory: str
    unknown_index: int
    roles: Roles | None = None

    @property
    def template(self) -> str:
        """Template-instance key: category, template number and the option set.

        The four items of one template instance (ambig/disambig × neg/nonneg) share it.
        """
        texts = "|".join(sorted(o.text.strip().lower() for o in self.options))
        return f"{self.attribute}|{self.question_index}|{texts}"

    @property
    def is_ambiguous(self) -> bool:
        return self.context_condition == "ambig"

    def role_of(self, index: int | None) -> str | None:
        """Role of option ``index``; None for an invalid answer or unknown roles."""
        if index is None:
            return None
        if index == self.unknown_index:
            return UNKNOWN
        if self.roles is None:
            return None
        return self.roles.of(index)


def item_id(category: str, example_id: int) -> str:
    """The globally unique id of a BBQ item."""
    return f"{category}:{example_id}"
