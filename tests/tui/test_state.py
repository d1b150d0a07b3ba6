"""The run screen's data: recorded engine events folded into stages, progress and table."""

from __future__ import annotations

import dataclasses

from auditor.audit.profiles import load_profile
from auditor.core.events import CellUpdated, ItemsScored, StageFinished, StageStarted, TrainStep
from tui.state import DONE, PENDING, REUSED, RUNNING, AuditProgress, empty_table

from .data import PROFILES


def fresh() -> AuditProgress:
    return AuditProgress(empty_table(load_profile(str(PROFILES / "demo.toml"))))


def test_replaying_an_audit_ends_with_the_engine_table(tui_data):
    progress = fresh()
    assert progress.table.attributes == tui_data.table.attributes  # target first
    for event in tui_data.events:
        progress.apply(event)
    assert all(s.status == DONE for s in progress.stages.values())
    assert progress.evals["baseline"].run_id == tui_data.run_a
    assert progress.evals["aligned"].done == progress.evals["aligned"].total == len(tui_data.items)
    assert [t.step for t in progress.train] == list(range(1, 13))
    # cell by cell, re-corrected each time, it lands on the engine's corrected table
    assert progress.table.rows == tui_data.table.rows
    assert progress.table.family == tui_data.table.family


def test_a_partial_table_holds_only_the_reported_cells(tui_data):
    progress = fresh()
    cells = [e for e in tui_data.events if isinstance(e, CellUpdated)]
    for event in cells[:4]:
        assert progress.apply(event) == {"table"}
    filled = {(c.attribute, c.context) for c in cells[:4]}
    for attribute in progress.table.attributes:
        for context in ("ambig", "disambig", "overall"):
            assert (progress.table.cell(attribute, context) is not None) == (
                (attribute, context) in filled
            )
    assert not progress.table.complete
    assert len(progress.table.family) == sum(
        (c.payload["accuracy"]["p"] is not None) + (c.payload["bias"]["p"] is not None)
        for c in cells[:4]
    )


def test_stages_progress_and_resumed_training():
    progress = fresh()
    assert progress.apply(StageStarted("baseline", "x")) == {"stages"}
    assert progress.stages["baseline"].status == RUNNING
    assert progress.stages["align"].status == PENDING
    progress.apply(ItemsScored("run-1", 8, 16, 2.0, 4.0))
    progress.apply(StageStarted("aligned"))
    progress.apply(ItemsScored("run-1", 16, 16, 2.0, 0.0))  # the same run stays in its stage
    assert progress.evals == {"baseline": ItemsScored("run-1", 16, 16, 2.0, 0.0)}
    for step in (1, 2, 3, 2, 3, 4):  # resumed from a checkpoint at step 1
        progress.apply(TrainStep(step, 4, 0.0, {"loss": 1.0}))
    assert [t.step for t in progress.train] == [1, 2, 3, 4]
    progress.stop("cancelled")
    assert progress.stages["aligned"].status == "cancelled"


def test_a_reused_stage_is_stored_with_its_run():
    progress = fresh()
    progress.apply(StageStarted("baseline", "stored"))
    assert progress.apply(StageFinished("baseline", skipped=True, detail="eval-1")) == {
        "stages",
        "eval",
        "train",
    }
    assert (progress.stages["baseline"].status, progress.stages["baseline"].detail) == (
        REUSED,
        "eval-1",
    )
    progress.apply(StageStarted("align", "DPO"))
    progress.apply(StageFinished("align", detail="adapter"))
    assert progress.stages["align"].status == DONE
    assert progress.stored == {"baseline"}


def test_the_table_uses_the_stats_alpha():
    profile = load_profile(str(PROFILES / "demo.toml"))
    profile = dataclasses.replace(
        profile,
        stats=dataclasses.replace(profile.stats, alpha=0.01),
        gate=dataclasses.replace(profile.gate, alpha=0.2),
    )
    assert empty_table(profile).alpha == 0.01


def test_the_stages_follow_the_profiles_seeds_and_formats():
    import dataclasses

    from tui.state import progress_for

    demo = load_profile(str(PROFILES / "demo.toml"))
    cloze = dataclasses.replace(demo, eval=dataclasses.replace(demo.eval, transfer=("cloze",)))
    assert list(progress_for(cloze).stages) == [
        "baseline",
        "baseline (cloze)",
        "align",
        "aligned",
        "aligned (cloze)",
        "compare",
    ]
    seeded = dataclasses.replace(cloze, align=dataclasses.replace(demo.align, seeds=(0, 1)))
    progress = progress_for(seeded)  # seeds and an untrained format compose
    assert list(progress.stages) == [
        "baseline",
        "baseline (cloze)",
        "align",
        "aligned",
        "aligned (cloze)",
        "compare",
    ]
    for name in ("align", "aligned", "aligned (cloze)"):
        assert progress.stages[name].seeds == {0: "pending", 1: "pending"}
    assert progress.stages["baseline (cloze)"].seeds == {}


def test_the_seed_comes_from_the_event_never_from_their_order():
    from auditor.core.events import PlanAnnounced, StageKey

    progress = fresh()
    keys = (
        StageKey("baseline"),
        StageKey("align", "", 3),
        StageKey("aligned", "", 3),
        StageKey("align", "", 1),
        StageKey("aligned", "", 1),
        StageKey("compare"),
    )
    assert progress.apply(PlanAnnounced(keys, seeds=(3, 1))) == {"stages"}
    assert progress.stages["align"].seeds == {3: PENDING, 1: PENDING}
    # seed 1 reported first (e.g. seed 3 ran on another machine): its own line moves
    progress.apply(StageStarted("align", "DPO, seed 1", StageKey("align", "", 1)))
    assert progress.stages["align"].seeds == {3: PENDING, 1: RUNNING}
    assert progress.train_seed == 1
    progress.apply(StageFinished("align", skipped=True, key=StageKey("align", "", 1)))
    assert progress.stages["align"].seeds == {3: PENDING, 1: REUSED}
    assert progress.stages["align"].status == PENDING
    # a stage event without a seed never claims one
    progress.apply(StageStarted("align", "DPO"))
    assert progress.stages["align"].seeds == {3: PENDING, 1: REUSED}
