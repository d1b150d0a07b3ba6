"""The audit plan: every stage of a recipe computed from the profile before any model
runs, and the combinations refused at plan time in one line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from auditor.audit.grids import grid_plans
from auditor.audit.plan import audit_plan
from auditor.audit.profiles import build_profile
from auditor.cli import main
from auditor.core.errors import InputError
from auditor.core.events import StageKey


def test_a_single_run_is_the_one_seed_case():
    plan = audit_plan(build_profile({}))
    r = plan.recipe
    assert r == "dpo → Gender_identity" and plan.seeds == ()
    assert plan.stages == (
        StageKey("baseline", r),
        StageKey("align", r),
        StageKey("aligned", r),
        StageKey("compare", r),
    )
    assert [c.name for c in plan.comparisons] == ["table"]
    one = audit_plan(build_profile({"align": {"seeds": [4]}}))
    assert one.seeds == () and one.trainings[0].seed == 4  # one seed: a single run with it


def test_seeds_formats_and_orders_compose():
    plan = audit_plan(
        build_profile(
            {"align": {"seeds": [0, 1]}, "eval": {"orders": "cyclic", "transfer": ["cloze"]}}
        )
    )
    r = plan.recipe
    assert [k.name for k in plan.stages] == [
        "baseline",
        "baseline (cloze)",
        "align",
        "aligned",
        "aligned (cloze)",
        "align",
        "aligned",
        "aligned (cloze)",
        "compare",
    ]
    assert [k.seed for k in plan.stages] == [None, None, 0, 0, 0, 1, 1, 1, None]
    by_name = {c.name: c for c in plan.comparisons}
    assert by_name["table"].after == (StageKey("aligned", r, 0), StageKey("aligned", r, 1))
    assert by_name["rotation"].after == by_name["table"].after
    assert by_name["transfer"].before == StageKey("baseline", r, None, "cloze")
    assert by_name["transfer"].after == (
        StageKey("aligned", r, 0, "cloze"),
        StageKey("aligned", r, 1, "cloze"),
    )
    rotated = {(e.key, e.orders) for e in plan.evaluations}
    assert (StageKey("aligned", r, 1), "cyclic") in rotated
    assert (StageKey("aligned", r, 1, "cloze"), "none") in rotated  # cloze is never rotated
    assert plan.reports == (
        "spillover table",
        "position bias and order consistency",
        "format transfer (cloze)",
    )
    assert plan.announce().stages == plan.stages


def test_grids_are_plans_of_several_recipes():
    plans = grid_plans(
        build_profile({"align": {"methods": ["dpo", "orpo"], "targets": ["Age", "Race_ethnicity"]}})
    )
    assert list(plans) == [(m, (t,)) for m in ("dpo", "orpo") for t in ("Age", "Race_ethnicity")]
    assert {p.recipe for p in plans.values()} == {
        f"{m} → {t}" for m in ("dpo", "orpo") for t in ("Age", "Race_ethnicity")
    }


def test_combinations_it_cannot_run_are_refused_in_one_line(tmp_path):
    with pytest.raises(InputError, match="align.methods is set"):
        audit_plan(build_profile({"align": {"methods": ["dpo", "orpo"]}}))
    store = tmp_path / "runs.sqlite"
    out = CliRunner().invoke(
        main, ["audit", "--set", 'align.methods=["dpo", "orpo"]', "--store", str(store)]
    )
    assert out.exit_code == 2
    assert out.output.strip().splitlines() == [
        "error: align.methods is set: run the grid with `spillover matrix` or "
        "`spillover audit --matrix` (or empty it for one method's audit)"
    ]
    assert not store.exists()  # refused before anything was written


def test_plan_prints_the_plan_it_will_run(bbq_lite):
    args = [
        "plan",
        "--bbq",
        str(bbq_lite),
        "--set",
        "align.seeds=[0, 1]",
        "--set",
        'eval.transfer=["cloze"]',
    ]
    out = CliRunner().invoke(main, [*args, "--format", "json"])
    assert out.exit_code == 0, out.output
    (plan,) = json.loads(out.stdout)["plan"]
    assert plan["seeds"] == [0, 1] and plan["formats"] == ["cloze"]
    assert len(plan["stages"]) == 9 and len(plan["trainings"]) == 2
    text = CliRunner().invoke(main, args)
    assert (
        "compare transfer: baseline in cloze against aligned in cloze pooled over 2 seeds"
        in text.stdout
    )


def test_a_trajectory_evaluates_every_checkpoint_before_the_last_step():
    plan = audit_plan(
        build_profile({"align": {"trajectory": True, "max_steps": 7, "save_steps": 3}})
    )
    r = plan.recipe
    assert plan.checkpoints == (3, 6) and plan.final_step == 7
    assert plan.stages == (
        StageKey("baseline", r),
        StageKey("align", r),
        StageKey("aligned", r),
        StageKey("checkpoint", r, step=3),
        StageKey("checkpoint", r, step=6),
        StageKey("compare", r),
    )
    trajectory = [c for c in plan.comparisons if c.name == "trajectory"]
    assert [(c.before.kind, c.after[0].step) for c in trajectory] == [
        ("baseline", 3),
        ("baseline", 6),
    ]
    lines = "\n".join(plan.lines())
    assert "evaluate checkpoint step 3: the adapter saved at step 3" in lines
    assert "compare trajectory: baseline against checkpoint step 6" in lines
    data = plan.to_dict()
    assert data["checkpoints"] == [3, 6] and data["final_step"] == 7
    assert {"kind": "checkpoint", "seed": None, "format": "", "step": 6} in data["stages"]
    assert audit_plan(build_profile({})).checkpoints == ()


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"align": {"max_steps": -1}}, "needs align.max_steps > 0"),
        ({"align": {"max_steps": 4, "save_steps": 4}}, "no checkpoint is saved before the last"),
        ({"align": {"seeds": [0, 1]}}, "with seed replicates, audit each seed alone"),
        ({"align": {"targets": ["Age", "Race_ethnicity"]}}, "audit each target alone"),
        ({"model": {"adapter": "some/adapter"}}, "without model.adapter"),
    ],
)
def test_trajectories_the_engine_cannot_run_are_refused_at_plan_time(fields, needle):
    align = {"trajectory": True, "max_steps": 4, "save_steps": 2, **fields.get("align", {})}
    profile = build_profile({**fields, "align": align})
    with pytest.raises(InputError, match=needle) as caught:
        audit_plan(profile)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("align.trajectory")
