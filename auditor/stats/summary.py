"""One run's metrics on every slice: attribute × context × polarity, with totals."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace

from auditor.core.answers import Answer
from auditor.core.errors import InputError
from auditor.core.items import CONTEXTS, POLARITIES, Item
from auditor.stats.bias import bias_reason, bias_score
from auditor.stats.bootstrap import bias_replicates, cell_rng, percentile_ci
from auditor.stats.frame import Frame, build_frame
from auditor.stats.metrics import count

ALL = "all"
"""The slice key meaning 'every attribute / both contexts / both polarities'."""

SCHEMA = "spillover.summary/1"


@dataclass(frozen=True, slots=True)
class SliceMetrics:
    """Metrics of one slice. Rates are None on an empty slice; ``bias`` is None where
    undefined (``bias_reason`` says why) and ``bias_ci`` is a cluster-bootstrap interval."""

    attribute: str
    context: str
    polarity: str
    n: int
    n_correct: int
    accuracy: float | None
    accuracy_ci: tuple[float, float] | None
    n_unknown: int
    unknown_rate: float | None
    n_invalid: int
    invalid_rate: float | None
    n_biased: int
    n_anti_biased: int
    n_non_unknown: int
    n_left_out: int
    bias: float | None
    bias_ci: tuple[float, float] | None
    bias_reason: str


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Every slice of one run, the totals first within each attribute."""

    attributes: tuple[str, ...]
    slices: tuple[SliceMetrics, ...]
    n_items: int
    n_left_out: int
    alpha: float
    n_boot: int
    seed: int

    def get(self, attribute: str = ALL, context: str = ALL, polarity: str = ALL) -> SliceMetrics:
        for s in self.slices:
            if (s.attribute, s.context, s.polarity) == (attribute, context, polarity):
                return s
        raise KeyError((attribute, context, polarity))

    def to_json(self) -> str:
        data = {"schema": SCHEMA, **asdict(self)}
        return json.dumps(data, indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> RunSummary:
        data = json.loads(text)
        if data.get("schema") != SCHEMA:
            raise InputError(
                f"not a run summary: schema {data.get('schema')!r}, expected {SCHEMA!r}"
            )
        slices = tuple(
            SliceMetrics(
                **{**s, "accuracy_ci": _pair(s["accuracy_ci"]), "bias_ci": _pair(s["bias_ci"])}
            )
            for s in data["slices"]
        )
        return cls(
            attributes=tuple(data["attributes"]),
            slices=slices,
            n_items=data["n_items"],
            n_left_out=data["n_left_out"],
            alpha=data["alpha"],
            n_boot=data["n_boot"],
            seed=data["seed"],
        )


def _pair(value: Sequence[float] | None) -> tuple[float, float] | None:
    return None if value is None else (float(value[0]), float(value[1]))


def slice_metrics(
    frame: Frame,
    attribute: str,
    context: str,
    polarity: str,
    run: int = 0,
    alpha: float = 0.05,
    n_boot: int = 10_000,
    seed: int = 0,
) -> SliceMetrics:
    """Metrics of run ``run`` on one slice; ``ALL`` on an axis pools it."""
    mask = frame.mask(
        None if attribute == ALL else attribute,
        None if context == ALL else context,
        None if polarity == ALL else polarity,
    )
    c = count(frame.role[run], frame.correct[run], mask)
    ctx = None if context == ALL else context
    score = bias_score(ctx, c.n_biased, c.n_non_unknown, c.n_correct, c.n)
    ci = None
    if score is not None and n_boot > 0:
        rng = cell_rng(seed, "summary", attribute, context, polarity)
        reps = bias_replicates(frame, mask, ctx == "ambig", n_boot, rng)[run]
        ci = percentile_ci(reps, alpha)
    return SliceMetrics(
        attribute=attribute,
        context=context,
        polarity=polarity,
        n=c.n,
        n_correct=c.n_correct,
        accuracy=c.accuracy,
        accuracy_ci=c.accuracy_ci(alpha),
        n_unknown=c.n_unknown,
        unknown_rate=c.unknown_rate,
        n_invalid=c.n_invalid,
        invalid_rate=c.invalid_rate,
        n_biased=c.n_biased,
        n_anti_biased=c.n_anti_biased,
        n_non_unknown=c.n_non_unknown,
        n_left_out=c.n_left_out,
        bias=score,
        bias_ci=ci,
        bias_reason="" if score is not None else bias_reason(ctx, c.n_non_unknown, c.n),
    )


def summarize_run(
    items: Mapping[str, Item],
    answers: Sequence[Answer],
    *,
    alpha: float = 0.05,
    n_boot: int = 10_000,
    seed: int = 0,
) -> RunSummary:
    """Metrics of one run on every attribute × context × polarity slice and their totals."""
    if n_boot < 0 or seed < 0:
        raise InputError("n_boot and seed must be >= 0")
    frame = build_frame(items, answers)
    slices = [
        slice_metrics(frame, attribute, context, polarity, 0, alpha, n_boot, seed)
        for attribute in (*frame.attributes, ALL)
        for context in (ALL, *CONTEXTS)
        for polarity in (ALL, *POLARITIES)
    ]
    summary = RunSummary(
        attributes=frame.attributes,
        slices=tuple(slices),
        n_items=frame.n,
        n_left_out=0,
        alpha=alpha,
        n_boot=n_boot,
        seed=seed,
    )
    return replace(summary, n_left_out=summary.get().n_left_out)
