"""The audit's flags as profile overrides (``--set`` lines), checked in one line."""

from __future__ import annotations

import json

from auditor.core.errors import InputError


def flag_overrides(
    *,
    model: str | None,
    adapter: str | None,
    device: str | None,
    seeds: str | None,
    orders: str | None,
) -> list[str]:
    """``section.key=value`` lines for the flags given (None or empty: not given)."""
    extra = [f"model.source={_toml(model)}"] if model else []
    extra += [f"model.adapter={_toml(adapter)}"] if adapter else []
    extra += [f"model.device={_toml(device)}"] if device else []
    extra += [f"align.seeds={_seed_list(seeds)}"] if seeds is not None else []
    extra += [f"eval.orders={_toml(orders)}"] if orders else []
    return extra


def _seed_list(text: str) -> str:
    """``--seeds 0,1,2`` as a TOML list, or a one-line error."""
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isdigit() for p in parts):
        raise InputError(
            f"--seeds {text!r}: expected seeds as integers >= 0 separated by commas, e.g. 0,1,2"
        )
    return "[" + ", ".join(str(int(p)) for p in parts) + "]"


def _toml(value: str) -> str:
    return json.dumps(value)
