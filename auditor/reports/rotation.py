"""Plain-text lines for option-order rotation: position bias and order consistency of
one run, and their change between two runs (from ``RotationChange.to_dict()``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auditor.stats.position import Consistency, PositionBias

DASH = "—"


def _pct(value: float | None) -> str:
    return DASH if value is None else f"{100 * value:.1f}"


def _p(value: float | None) -> str:
    return DASH if value is None else f"{value:.3g}"


def _shares(values: Iterable[float] | None) -> str:
    return DASH if values is None else "/".join(_pct(v) for v in values) + "%"


def _get(obj: object, name: str) -> Any:
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def position_line(bias: PositionBias | dict[str, Any]) -> str:
    """One run's position bias (a PositionBias or its dict)."""

    def g(name: str) -> Any:
        return _get(bias, name)

    if g("distance") is None:
        return "position bias: — (no answers)"
    chi2 = DASH if g("chi2") is None else f"{g('chi2'):.1f}"
    return (
        f"position bias: A/B/C chosen {_shares(g('shares'))}, expected from the correct "
        f"answers' positions {_shares(g('expected'))}; distance {g('distance'):.3f} (at "
        f"most {g('max_distance'):.3f}), χ² {chi2}, p {_p(g('p'))} over {g('n'):,} item "
        "orderings"
    )


def consistency_line(cons: Consistency | dict[str, Any]) -> str:
    def g(name: str) -> Any:
        return _get(cons, name)

    return (
        f"order consistency: {g('consistent'):,} of {g('n'):,} items "
        f"({_pct(g('share'))}%) answered with the same option in every ordering"
    )


def run_lines(bias: PositionBias | dict[str, Any], cons: Consistency | dict[str, Any]) -> list[str]:
    """Position bias and order consistency of one rotated run."""
    return [position_line(bias), consistency_line(cons)]


def change_lines(change: dict[str, Any]) -> list[str]:
    """Before → after, paired, for an audit (RotationChange as a dict); for an audit of
    seed replicates ({"orders", "seeds": {seed: RotationChange as a dict}}), each seed's
    aligned model against the baseline in turn."""
    if "seeds" in change:
        return [
            f"seed {seed}: {line}"
            for seed, one in change["seeds"].items()
            for line in change_lines(one)
        ]
    pb, pa = change["position_before"], change["position_after"]
    cb, ca = change["consistency_before"], change["consistency_after"]
    lines = [
        f"option-order rotation: {change['orders']} ({change['n_orderings']} orderings "
        "an item; the tables use answers aggregated over them)"
    ]
    if change["distance_delta"] is None:
        lines.append("position bias: — (no paired answers)")
    else:
        ci = change["distance_ci"]
        ci_text = DASH if ci is None else f"[{ci[0]:+.3f}, {ci[1]:+.3f}]"
        lines.append(
            f"position bias distance: {pb['distance']:.3f} → {pa['distance']:.3f} "
            f"(Δ {change['distance_delta']:+.3f}, CI {ci_text}, p {_p(change['distance_p'])}; "
            f"paired cluster bootstrap over {change['n_clusters']:,} template instances); "
            f"χ² p before {_p(pb['p'])}, after {_p(pa['p'])}; A/B/C chosen "
            f"{_shares(pb['shares'])} → {_shares(pa['shares'])}, expected "
            f"{_shares(pa['expected'])}"
        )
    if change["consistency_delta"] is None:
        lines.append("order consistency: — (no items answered in every ordering by both runs)")
    else:
        lines.append(
            f"order consistency: {_pct(cb['share'])}% → {_pct(ca['share'])}% "
            f"(Δ {100 * change['consistency_delta']:+.1f} pp on {cb['n']:,} items; "
            f"b = {change['b']}, c = {change['c']}, McNemar exact p {_p(change['consistency_p'])})"
        )
    return lines
