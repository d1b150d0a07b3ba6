"""Audit profiles: TOML files parsed into frozen, validated configuration.

A profile has the sections ``model``, ``data``, ``eval``, ``align``, ``stats`` and
``gate``; every key is checked against the dataclasses below and an unknown key is an
error naming the key and the file. ``--set section.key=value`` overrides any field.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from auditor.core.errors import InputError
from auditor.core.items import ATTRIBUTES


@dataclass(frozen=True)
class ModelSection:
    source: str = "smollm2-135m"
    adapter: str = ""
    device: str = "auto"
    dtype: str = "auto"
    trust_remote_code: bool = False
    allow_pickle: bool = False  # load .bin/.pt weights (pickles can run code); off by default


@dataclass(frozen=True)
class DataSection:
    bbq: str = ""  # empty: --bbq, $SPILLOVER_BBQ, then the fetched data
    attributes: tuple[str, ...] = ATTRIBUTES
    sample: int = 0  # items per evaluation, 0 = all (stratified, template instances whole)
    seed: int = 0


@dataclass(frozen=True)
class EvalSection:
    mode: str = "letter"
    batch_size: int = 8
    prompt_style: str = "auto"
    max_new_tokens: int = 8
    orders: str = "none"  # none | cyclic (x3 the scoring) | all (x6): option-order rotation
    transfer: tuple[str, ...] = ()  # untrained formats also evaluated: "cloze"


@dataclass(frozen=True)
class AlignSection:
    target: tuple[str, ...] = ("Gender_identity",)
    rejected: str = "all_wrong"
    exclude_trans: bool = False
    exclude_subcategories: tuple[str, ...] = ()
    exclude_templates: tuple[str, ...] = ()  # "35", "Gender_identity:35" or a template key
    heldout_fraction: float = 0.2
    train_sample: int = 0  # cap on training items (0 = all), template instances whole
    beta: float = 0.1
    learning_rate: float = 5e-5
    epochs: float = 1.0
    max_steps: int = -1
    batch_size: int = 4
    grad_accum: int = 1
    max_length: int = 512
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    qlora: bool = False
    activation_checkpointing: bool = False
    precompute_ref: str = "auto"  # speed only: auto | on | off
    completion_logits_only: str = "auto"  # speed only: auto | on | off
    save_steps: int = 50
    logging_steps: int = 1
    seed: int = 0


@dataclass(frozen=True)
class StatsSection:
    correction: str = "holm"
    alpha: float = 0.05
    n_boot: int = 10_000
    seed: int = 0


@dataclass(frozen=True)
class GateSection:
    alpha: float = 0.05
    correction: str = "holm"
    max_accuracy_drop: float = 0.0  # largest allowed significant drop (fraction, 0.02 = 2 pts)
    max_bias_increase: float = 0.0  # largest allowed significant increase of |bias score|
    cells: str = "untargeted"  # untargeted | all | ambig
    min_paired: int = 100  # fewer items paired between the runs: the gate refuses to judge
    min_cell: int = 20  # fewer paired items in a checked cell: the gate refuses to judge


@dataclass(frozen=True)
class Profile:
    name: str = "custom"
    description: str = ""
    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    eval: EvalSection = field(default_factory=EvalSection)
    align: AlignSection = field(default_factory=AlignSection)
    stats: StatsSection = field(default_factory=StatsSection)
    gate: GateSection = field(default_factory=GateSection)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


TRANSFER_FORMATS: tuple[str, ...] = ("cloze",)
"""Prompt formats alignment never trains on, for ``eval.transfer``."""

CHOICES: dict[str, tuple[str, ...]] = {
    "eval.mode": ("letter", "options", "generate"),
    "eval.prompt_style": ("auto", "chat", "plain"),
    "eval.orders": ("none", "cyclic", "all"),
    "model.device": ("auto", "cpu", "cuda", "mps"),
    "model.dtype": ("auto", "float32", "bfloat16", "float16"),
    "align.rejected": ("all_wrong", "biased"),
    "align.precompute_ref": ("auto", "on", "off"),
    "align.completion_logits_only": ("auto", "on", "off"),
    "stats.correction": ("holm", "bh"),
    "gate.correction": ("holm", "bh"),
    "gate.cells": ("untargeted", "all", "ambig"),
}


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
            raise InputError(f"unknown profile '{name_or_path}' (bundled: {names}); pass a "
                             ".toml path or set SPILLOVER_PROFILES to a folder of profiles")
        path = found
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: profile file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read profile ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}") from None
    raw.setdefault("name", path.stem)
    build_profile(raw, str(path))  # the file itself must be valid
    for item in overrides:
        _apply_override(raw, item)
    return build_profile(raw, f"{path} with --set {' '.join(overrides)}" if overrides else str(path))


def build_profile(raw: dict, where: str = "<profile>") -> Profile:
    """Validate a profile dictionary (as read from TOML) into a Profile."""
    return _build(Profile, raw, where, "")


def _apply_override(raw: dict, item: str) -> None:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--set '{item}': expected section.key=value")
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value  # bare words are strings
    *sections, last = key.strip().split(".")
    node = raw
    for part in sections:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise InputError(f"--set '{item}': '{part}' is not a section")
    node[last] = parsed


def _build(cls, raw: dict, where: str, prefix: str):
    if not isinstance(raw, dict):
        raise InputError(f"{where}: '{prefix.rstrip('.')}' must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in known:
            raise InputError(
                f"{where}: unknown key '{prefix}{key}' (allowed: {', '.join(sorted(known))})"
            )
    values = {}
    for key, value in raw.items():
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            values[key] = _build(hint, value, where, f"{prefix}{key}.")
        else:
            values[key] = _coerce(value, hint, where, f"{prefix}{key}")
    obj = cls(**values)
    _check(obj, where, prefix)
    return obj


def _coerce(value, hint, where: str, key: str):
    origin = typing.get_origin(hint)
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
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


NON_EMPTY: frozenset[str] = frozenset({
    "model.source", "data.attributes", "align.target", "align.target_modules",
})
"""Fields that must not be empty (an empty list or string would switch work off)."""


def _check(obj, where: str, prefix: str) -> None:
    for f in dataclasses.fields(obj):
        key = f"{prefix}{f.name}"
        value = getattr(obj, f.name)
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"{where}: '{key}' is {value!r}; it must be a finite number")
        if key in NON_EMPTY and (not value or (isinstance(value, str) and not value.strip())):
            raise InputError(f"{where}: '{key}' must not be empty")
        if isinstance(value, tuple) and any(not v.strip() for v in value):
            raise InputError(f"{where}: '{key}' has an empty entry")
        if key in CHOICES and value not in CHOICES[key]:
            raise InputError(f"{where}: '{key}' is {value!r}; choose one of {', '.join(CHOICES[key])}")
    if isinstance(obj, EvalSection):
        for name in obj.transfer:
            if name not in TRANSFER_FORMATS:
                raise InputError(f"{where}: '{prefix}transfer' has unknown format {name!r} "
                                 f"(choose from {', '.join(TRANSFER_FORMATS)})")
    if isinstance(obj, EvalSection) and obj.orders != "none" and obj.mode == "generate":
        raise InputError(f"{where}: '{prefix}orders' is {obj.orders!r}, but generate mode cannot "
                         "be rotated (no score per option); use eval.mode letter or options")
    if isinstance(obj, (DataSection, AlignSection)):
        names = obj.attributes if isinstance(obj, DataSection) else obj.target
        for name in names:
            if name not in ATTRIBUTES:
                field_name = "attributes" if isinstance(obj, DataSection) else "target"
                raise InputError(
                    f"{where}: '{prefix}{field_name}' has unknown attribute '{name}' "
                    f"(choose from {', '.join(ATTRIBUTES)})"
                )
    for name, (low, high, closed) in LIMITS.get(type(obj).__name__, {}).items():
        value = getattr(obj, name)
        below = value < low if closed[0] else value <= low
        above = high is not None and (value > high if closed[1] else value >= high)
        if below or above:
            span = f"{'[' if closed[0] else '('}{low:g}, " + (
                f"{high:g}{']' if closed[1] else ')'}" if high is not None else "∞)")
            raise InputError(f"{where}: '{prefix}{name}' is {value!r}; it must be in {span}")


# (low, high, (low inclusive, high inclusive)); high None = unbounded
LIMITS: dict[str, dict[str, tuple]] = {
    "DataSection": {"sample": (0, None, (True, False))},
    "EvalSection": {"batch_size": (1, None, (True, False)),
                    "max_new_tokens": (1, None, (True, False))},
    "AlignSection": {
        "heldout_fraction": (0, 1, (False, False)), "train_sample": (0, None, (True, False)),
        "beta": (0, None, (False, False)), "learning_rate": (0, None, (False, False)),
        "epochs": (0, None, (False, False)), "batch_size": (1, None, (True, False)),
        "grad_accum": (1, None, (True, False)), "max_length": (8, None, (True, False)),
        "lora_r": (1, None, (True, False)), "lora_alpha": (1, None, (True, False)),
        "lora_dropout": (0, 1, (True, False)), "save_steps": (1, None, (True, False)),
        "logging_steps": (1, None, (True, False)), "seed": (0, None, (True, False)),
    },
    "StatsSection": {"alpha": (0, 1, (False, False)), "n_boot": (100, None, (True, False)),
                     "seed": (0, None, (True, False))},
    "GateSection": {"alpha": (0, 1, (False, False)),
                    "max_accuracy_drop": (0, 1, (True, True)),
                    "max_bias_increase": (0, 2, (True, True)),
                    "min_paired": (1, None, (True, False)),
                    "min_cell": (1, None, (True, False))},
}
