"""Audits with the engine's newer controls, for the TUI tests: seed replicates (recorded
events whose cells come from the real pooled comparison) and format controls (a
format-transfer table and a rotation comparison, both computed by the real engine)."""

from __future__ import annotations

import dataclasses
import random

from auditor.audit.pipeline import AuditResult
from auditor.audit.profiles import load_profile
from auditor.core.answers import Answer
from auditor.core.events import (
    CellUpdated,
    ItemsScored,
    StageFinished,
    StageKey,
    StageStarted,
    TrainStep,
)
from auditor.core.items import ATTRIBUTES
from auditor.stats import compare_runs
from auditor.stats.position import compare_rotation
from auditor.stats.replicates import compare_replicates

from .data import PROFILES, answers

SEEDS = (0, 1, 2)
STEPS = 8


@dataclasses.dataclass
class Seeded:
    profile: object
    events: list
    result: AuditResult
    cells: list  # the engine's CellUpdated events, per seed then pooled


def seed_answers(items, markup_item) -> tuple[list[Answer], dict[int, list[Answer]]]:
    """The fixture's base answers, and per seed its aligned answers with a few changed."""
    before, after = answers(items, markup_item)
    per_seed = {}
    for seed in SEEDS:
        rng = random.Random(100 + seed)
        per_seed[seed] = [
            a if rng.random() < 0.9 else Answer(a.item_id, rng.randrange(3), a.scores)
            for a in after
        ]
    return before, per_seed


def seeded_audit(tui_data) -> Seeded:
    items = list(tui_data.items.values())
    before, per_seed = seed_answers(items, tui_data.markup_item)
    cells: list[CellUpdated] = []
    table = compare_replicates(
        tui_data.items,
        before,
        per_seed,
        target=("Gender_identity",),
        attributes=ATTRIBUTES,
        n_boot=200,
        seed=0,
        reporter=cells.append,
    )
    n = len(items)
    events = [
        StageStarted("baseline", f"evaluating the base model on {n} items"),
        ItemsScored(tui_data.run_a, n, n, 4.0, 0.0),
        StageFinished("baseline", detail=tui_data.run_a),
    ]
    for index, seed in enumerate(SEEDS):
        align, aligned = StageKey("align", "", seed), StageKey("aligned", "", seed)
        events.append(
            StageStarted(
                "align", f"DPO on Gender_identity, seed {seed} ({index + 1} of {len(SEEDS)})", align
            )
        )
        for step in range(1, STEPS + 1):
            events.append(
                TrainStep(
                    step,
                    STEPS,
                    step / STEPS,
                    {
                        "loss": 0.7 - 0.01 * step * (seed + 1),
                        "rewards/margins": 0.1 * step * (seed + 1),
                    },
                    1.0,
                )
            )
        events.append(StageFinished("align", detail=f"alignment-seed{seed}/adapter", key=align))
        events.append(
            StageStarted("aligned", f"evaluating the aligned model of seed {seed}", aligned)
        )
        events.append(ItemsScored(f"aligned-{seed}", n, n, 4.0, 0.0))
        events.append(StageFinished("aligned", detail=f"aligned-{seed}", key=aligned))
    events.append(StageStarted("compare", "paired statistics pooled over 3 seeds"))
    events += cells
    events.append(StageFinished("compare"))
    demo = load_profile(str(PROFILES / "demo.toml"))
    profile = dataclasses.replace(demo, align=dataclasses.replace(demo.align, seeds=SEEDS))
    replicates = tuple(
        {
            "seed": s,
            "train_run": tui_data.train_run,
            "aligned_run": tui_data.run_b,
            "adapter_dir": "a",
        }
        for s in SEEDS
    )
    result = AuditResult(
        tui_data.audit_id,
        profile.to_dict(),
        tui_data.run_a,
        tui_data.train_run,
        tui_data.run_b,
        table,
        "a",
        replicates=replicates,
    )
    return Seeded(profile, events, result, cells)


def nth(kind, predicate, n: int):
    """A pause predicate: the ``n``-th event of ``kind`` that matches."""
    seen = []

    def match(event) -> bool:
        if isinstance(event, kind) and predicate(event):
            seen.append(event)
            return len(seen) == n
        return False

    return match


CYCLIC = ("012", "120", "201")


def rotated_answers(items) -> tuple[dict, dict]:
    """Before: always the letter A (the option at position 0); after: the right option."""
    before = {i.id: {k: Answer(i.id, int(k[0]), ()) for k in CYCLIC} for i in items}
    after = {i.id: {k: Answer(i.id, i.label, ()) for k in CYCLIC} for i in items}
    return before, after


def formats_audit(tui_data) -> AuditResult:
    items = list(tui_data.items.values())
    before, after = answers(items, tui_data.markup_item)
    rng = random.Random(3)
    cloze_after = [
        a if rng.random() < 0.7 else Answer(a.item_id, rng.randrange(3), a.scores) for a in before
    ]  # the untrained format barely moves
    transfer = compare_runs(
        tui_data.items,
        before,
        cloze_after,
        target=("Gender_identity",),
        attributes=ATTRIBUTES,
        n_boot=200,
        seed=0,
    )
    rotation = compare_rotation(
        tui_data.items, *rotated_answers(items), orders="cyclic", n_boot=200
    ).to_dict()
    return dataclasses.replace(
        tui_data.result,
        rotation=rotation,
        transfer=transfer,
        transfer_format="cloze",
        transfer_runs={"baseline": "eval-cloze-base", "aligned": "eval-cloze-aligned"},
    )
