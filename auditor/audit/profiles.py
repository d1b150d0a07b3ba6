"""Audit profiles: TOML files parsed into frozen, validated configuration.

A profile has the sections ``model``, ``data``, ``eval``, ``align``, ``stats``, ``gate``
and ``candidate``; every key is checked against the dataclasses below and an unknown key is an
error naming the key and the file. ``--set section.key=value`` overrides any field.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from auditor.align.settings import AlignSettings
from auditor.audit.candidate_settings import CandidateSection
from auditor.core.choices import (
    ACCURACY_TESTS,
    CORRECTIONS,
    DEVICES,
    DTYPES,
    GATE_CELLS,
    GATE_MODES,
    MODES,
    ORDERS,
    PROMPT_STYLES,
    SWITCHES,
    TRANSFER_FORMATS,
)
from auditor.core.errors import InputError
from auditor.core.items import ATTRIBUTES
from auditor.core.settings import Checked, InvalidSettings, Problem, rule_of, setting

if typing.TYPE_CHECKING:
    from _typeshed import DataclassInstance


@dataclass(frozen=True)
class ModelSection(Checked):
    owner = "model"

    source: str = setting(
        "smollm2-135m",
        non_empty=True,
        help="Model folder, hub id, .gguf file, or smollm2-135m (bundled).",
    )
    adapter: str = setting("", help="LoRA adapter folder.")
    device: str = setting("auto", choices=DEVICES)
    dtype: str = setting("auto", choices=DTYPES)
    trust_remote_code: bool = False
    allow_pickle: bool = False  # load .bin/.pt weights (pickles can run code); off by default


@dataclass(frozen=True)
class DataSection(Checked):
    owner = "data"

    bbq: str = ""  # empty: --bbq, $SPILLOVER_BBQ, then the fetched data
    attributes: tuple[str, ...] = setting(
        ATTRIBUTES, choices=ATTRIBUTES, entry="attribute", non_empty=True
    )
    sample: int = setting(
        0, ge=0, help="Items per evaluation, 0 = all (stratified, template instances whole)."
    )
    seed: int = 0


@dataclass(frozen=True)
class EvalSection(Checked):
    owner = "eval"

    mode: str = setting("letter", choices=MODES)
    batch_size: int = setting(8, ge=1)
    prompt_style: str = setting("auto", choices=PROMPT_STYLES)
    max_new_tokens: int = setting(8, ge=1)
    orders: str = setting(
        "none",
        choices=ORDERS,
        help="Option-order rotation: cyclic scores every item in its 3 "
        "rotations (3x the scoring), all in its 6 permutations (6x).",
    )
    transfer: tuple[str, ...] = setting(
        (),
        choices=TRANSFER_FORMATS,
        entry="format",
        help="Untrained prompt formats the base and aligned models are also evaluated in (cloze).",
    )
    prefix_cache: str = setting(
        "auto",
        choices=SWITCHES,
        in_key=False,
        help="Run each prompt prefix shared by items (chat opening, "
        "context, option orders) once, a batch's prompts packed as one tree: the "
        "same answers, fewer tokens computed. auto: on in letter, options and "
        "cloze mode where the model can take the tree's attention mask.",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.orders != "none" and self.mode == "generate":
            why = "generate mode cannot be rotated (no score per option)"
            raise InvalidSettings(
                self.owner,
                [
                    Problem(
                        "orders",
                        f"must be none in generate mode: {why}",
                        f"is {self.orders!r}, but {why}; use eval.mode letter or options",
                    )
                ],
            )


EVAL_SPEED_ONLY = frozenset(
    f.name for f in dataclasses.fields(EvalSection) if not rule_of(f).in_key
)
"""Eval settings that change the cost, not the answers: never in an audit's key."""


@dataclass(frozen=True)
class StatsSection(Checked):
    owner = "stats"

    correction: str = setting("holm", choices=CORRECTIONS)
    alpha: float = setting(0.05, gt=0, lt=1)
    n_boot: int = setting(10_000, ge=100, help="Bootstrap resamples for the bias-score CIs.")
    seed: int = setting(0, ge=0)
    accuracy_test: str = setting(
        "mcnemar",
        choices=ACCURACY_TESTS,
        help="Paired accuracy test: mcnemar (items) or cluster (exact sign-flip test over "
        "template instances).",
    )


@dataclass(frozen=True)
class GateSection(Checked):
    owner = "gate"

    alpha: float = setting(0.05, gt=0, lt=1)
    correction: str = setting("holm", choices=CORRECTIONS)
    max_accuracy_drop: float = setting(
        0.0, ge=0, le=1, help="Largest allowed significant drop (fraction, 0.02 = 2 pts)."
    )
    max_bias_increase: float = setting(
        0.0, ge=0, le=2, help="Largest allowed significant increase of |bias score|."
    )
    cells: str = setting("untargeted", choices=GATE_CELLS)
    min_paired: int = setting(
        100, ge=1, help="Fewer items paired between the runs: the gate refuses to judge."
    )
    min_cell: int = setting(
        20, ge=1, help="Fewer paired items in a checked cell: the gate refuses to judge."
    )
    min_seed_agreement: int = setting(
        0,
        ge=0,
        help="With seed replicates: seeds that must be degraded on their own for a FAIL (0 = all).",
    )
    mode: str = setting(
        "significance",
        choices=GATE_MODES,
        flag="gate-mode",
        help="significance: fail significant degradations; noninferiority: "
        "also pass only cells shown within their margin (exit 4 otherwise).",
    )
    margin_accuracy: float = setting(
        0.05, ge=0, le=1, help="Non-inferiority margin on an accuracy drop (fraction)."
    )
    margin_bias: float = setting(
        0.10, ge=0, le=2, help="Non-inferiority margin on the growth of |bias score|."
    )
    accuracy_margins: tuple[str, ...] = setting(
        (), entry="override", help="Per-attribute accuracy margins, ATTRIBUTE=MARGIN."
    )
    bias_margins: tuple[str, ...] = setting(
        (), entry="override", help="Per-attribute bias margins, ATTRIBUTE=MARGIN."
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        from auditor.audit.noninferiority import margin_overrides

        for name in ("accuracy_margins", "bias_margins"):
            try:
                found = margin_overrides(getattr(self, name), name)
            except InputError as exc:
                raise InvalidSettings(
                    self.owner,
                    [Problem(name, str(exc).partition(": ")[2], str(exc).partition(": ")[2])],
                ) from None
            unknown = sorted(set(found) - set(ATTRIBUTES))
            if unknown:
                why = f"names unknown attribute '{unknown[0]}'"
                long = f"{why} (choose from {', '.join(ATTRIBUTES)})"
                raise InvalidSettings(self.owner, [Problem(name, why, long)])

    def margin(self, metric: str, attribute: str) -> float:
        """The margin allowed for ``metric`` ("accuracy" | "bias") on ``attribute``."""
        from auditor.audit.noninferiority import margin_overrides

        field_name = "accuracy_margins" if metric == "accuracy" else "bias_margins"
        default = self.margin_accuracy if metric == "accuracy" else self.margin_bias
        return margin_overrides(getattr(self, field_name), field_name).get(attribute, default)


@dataclass(frozen=True)
class Profile:
    name: str = "custom"
    description: str = ""
    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    eval: EvalSection = field(default_factory=EvalSection)
    align: AlignSettings = field(default_factory=AlignSettings)
    stats: StatsSection = field(default_factory=StatsSection)
    gate: GateSection = field(default_factory=GateSection)
    candidate: CandidateSection = field(default_factory=CandidateSection)

    def to_dict(self) -> dict[str, typing.Any]:
        return dataclasses.asdict(self)


def profiles_dir() -> Path:
    """The bundled profiles: ``$SPILLOVER_PROFILES``, else ``profiles/`` at the project root
    (reached through the package's ``bundled_profiles`` link, which wheels carry as files)."""
    env = os.environ.get("SPILLOVER_PROFILES")
    return Path(env) if env else Path(__file__).parents[1] / "bundled_profiles"


def available() -> dict[str, Path]:
    """Bundled profile names → files."""
    folder = profiles_dir()
    return {p.stem: p for p in sorted(folder.glob("*.toml"))} if folder.is_dir() else {}


def load_profile(name_or_path: str, overrides: typing.Sequence[str] = ()) -> Profile:
    """Load a bundled profile by name, or a TOML file by path, then apply overrides."""
    path = Path(name_or_path)
    if not path.suffix == ".toml":
        found = available().get(name_or_path)
        if found is None:
            names = ", ".join(available()) or f"none found in {profiles_dir()}"
            raise InputError(
                f"unknown profile '{name_or_path}' (bundled: {names}); pass a "
                ".toml path or set SPILLOVER_PROFILES to a folder of profiles"
            )
        path = found
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: profile file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read profile ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise InputError(f"{path}: invalid TOML: {TOO_DEEP}") from None
    raw.setdefault("name", path.stem)
    build_profile(raw, str(path))  # the file itself must be valid
    for item in overrides:
        _apply_override(raw, item)
    return build_profile(
        raw, f"{path} with --set {' '.join(overrides)}" if overrides else str(path)
    )


TOO_DEEP = "arrays or tables nested too deeply for a profile"
T = typing.TypeVar("T", bound="DataclassInstance")  # a profile section


def build_profile(raw: dict[str, typing.Any], where: str = "<profile>") -> Profile:
    """Validate a profile dictionary (as read from TOML, or ``Profile.to_dict``) into a Profile."""
    return _build(Profile, raw, where, "")


def _apply_override(raw: dict[str, typing.Any], item: str) -> None:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--set '{item}': expected section.key=value")
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value  # bare words are strings
    except RecursionError:
        raise InputError(f"--set '{key.strip()}': {TOO_DEEP}") from None
    *sections, last = key.strip().split(".")
    node = raw
    for part in sections:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise InputError(f"--set '{item}': '{part}' is not a section")
    node[last] = parsed


def _build(cls: type[T], raw: object, where: str, prefix: str) -> T:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: '{prefix.rstrip('.')}' must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in known:
            raise InputError(
                f"{where}: unknown key '{prefix}{key}' (allowed: {', '.join(sorted(known))})"
            )
    values: dict[str, typing.Any] = {}
    for key, value in raw.items():
        hint = hints[key]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            values[key] = _build(hint, value, where, f"{prefix}{key}.")
        else:
            values[key] = _coerce(value, hint, where, f"{prefix}{key}")
    try:
        return cls(**values)
    except InvalidSettings as exc:
        first = exc.problems[0]
        raise InputError(f"{where}: '{prefix}{first.field}' {first.long}") from None


def _coerce(value: typing.Any, hint: typing.Any, where: str, key: str) -> typing.Any:
    origin = typing.get_origin(hint)
    if origin is tuple and typing.get_args(hint)[0] is int:
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise InputError(f"{where}: '{key}' must be a list of integers")
        return tuple(value)
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise InputError(f"{where}: '{key}' must be a list of strings")
        return tuple(value)
    if origin in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, (int, float)) and not isinstance(value, bool),
        str: isinstance(value, str),
    }.get(hint, True)
    if not ok:
        raise InputError(f"{where}: '{key}' must be {hint.__name__}, got {value!r}")
    return float(value) if hint is float else value
