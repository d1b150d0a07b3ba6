"""Settings declared once: each dataclass field carries its range, choices and help in its
metadata, and construction-time checks, profile validation and CLI flags all read them."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from auditor.core.errors import InputError


@dataclass(frozen=True)
class Rule:
    """What a setting accepts; ``None`` bounds are open-ended."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] | None = None  # for a tuple field: choices of each entry
    entry: str = "value"  # what a tuple field's entries are called in errors
    non_empty: bool = False
    help: str = ""
    flag: str | None = None  # CLI flag name; "" = no flag
    in_key: bool = True  # part of a run key (False: bookkeeping or speed only)


def setting(
    default: Any,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    choices: tuple[str, ...] | None = None,
    entry: str = "value",
    non_empty: bool = False,
    help: str = "",
    flag: str | None = None,
    in_key: bool = True,
) -> Any:
    """A dataclass field with its rule: ``gt``/``ge``/``lt``/``le`` bound numbers."""
    rule = Rule(
        low=gt if gt is not None else ge,
        high=lt if lt is not None else le,
        low_open=gt is not None,
        high_open=lt is not None,
        choices=choices,
        entry=entry,
        non_empty=non_empty,
        help=help,
        flag=flag,
        in_key=in_key,
    )
    return dataclasses.field(default=default, metadata={"rule": rule})


def rule_of(field: dataclasses.Field[Any]) -> Rule:
    rule: Rule = field.metadata.get("rule", Rule())
    return rule


@dataclass(frozen=True)
class Problem:
    """One broken rule: ``short`` reads after the field name ("must be > 0"), ``long`` after
    the quoted key ("is 0; it must be in (0, ∞)")."""

    field: str
    short: str
    long: str


class InvalidSettings(InputError):
    """Settings that break their rules; the message lists every problem."""

    def __init__(self, owner: str, problems: list[Problem]):
        self.owner, self.problems = owner, problems
        super().__init__(f"{owner}: " + "; ".join(f"{p.field} {p.short}" for p in problems))


def span(rule: Rule) -> str:
    low = "(" if rule.low_open else "["
    high = ")" if rule.high_open or rule.high is None else "]"
    lo = "-∞" if rule.low is None else f"{rule.low:g}"
    hi = "∞" if rule.high is None else f"{rule.high:g}"
    return f"{low}{lo}, {hi}{high}"


def _range_short(rule: Rule) -> str:
    if rule.high is None:
        return f"must be {'>' if rule.low_open else '>='} {rule.low:g}"
    if rule.low is None:
        return f"must be {'<' if rule.high_open else '<='} {rule.high:g}"
    return f"must be in {span(rule)}"


def problems(obj: Any) -> list[Problem]:
    """Every rule ``obj``'s fields break, in declaration order."""
    found: list[Problem] = []
    for f in dataclasses.fields(obj):
        rule, value, name = rule_of(f), getattr(obj, f.name), f.name
        if isinstance(value, float) and not math.isfinite(value):
            found.append(
                Problem(
                    name,
                    f"must be a finite number, got {value!r}",
                    f"is {value!r}; it must be a finite number",
                )
            )
            continue
        if rule.non_empty and (not value or (isinstance(value, str) and not value.strip())):
            found.append(Problem(name, "must not be empty", "must not be empty"))
            continue
        if isinstance(value, tuple):
            if any(isinstance(v, str) and not v.strip() for v in value):
                found.append(Problem(name, "has an empty entry", "has an empty entry"))
                continue
            wrong = [v for v in value if rule.choices is not None and v not in rule.choices]
            if wrong:
                choose = ", ".join(rule.choices or ())
                found.append(
                    Problem(
                        name,
                        f"has unknown {rule.entry} '{wrong[0]}'",
                        f"has unknown {rule.entry} '{wrong[0]}' (choose from {choose})",
                    )
                )
            continue
        if rule.choices is not None and value not in rule.choices:
            choose = ", ".join(rule.choices)
            found.append(
                Problem(name, f"must be one of {choose}", f"is {value!r}; choose one of {choose}")
            )
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            below = rule.low is not None and (
                value <= rule.low if rule.low_open else value < rule.low
            )
            above = rule.high is not None and (
                value >= rule.high if rule.high_open else value > rule.high
            )
            if below or above:
                found.append(
                    Problem(name, _range_short(rule), f"is {value!r}; it must be in {span(rule)}")
                )
    return found


def as_tuples(obj: Any) -> None:
    """Turn list (or lone string) values of tuple-typed fields into tuples, in place."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(f.default, tuple) and not isinstance(value, tuple):
            value = (value,) if isinstance(value, str) else tuple(value)
            object.__setattr__(obj, f.name, value)


class Checked:
    """Mixin for frozen settings dataclasses: tuples normalised and every rule checked at
    construction (``InvalidSettings`` names each broken rule)."""

    owner = "settings"

    def __post_init__(self) -> None:
        as_tuples(self)
        found = problems(self)
        if found:
            raise InvalidSettings(self.owner, found)
