"""The comparison stage on a study-shaped audit (two seeds, cyclic rotation, cloze)."""

from __future__ import annotations

from collections import Counter

from auditor.audit.plan import audit_plan
from auditor.audit.plan_tables import compare_plan
from auditor.audit.selection import plan_audit
from auditor.core.events import StageKey
from auditor.stats.position import compare_rotation
from auditor.store.db import Store


def _runs(study, recipe) -> dict:
    runs = {
        StageKey("baseline", recipe): study.baseline,
        StageKey("baseline", recipe, None, "cloze"): study.transfer["baseline"],
    }
    for seed, run in study.aligned.items():
        runs[StageKey("aligned", recipe, seed)] = run
        runs[StageKey("aligned", recipe, seed, "cloze")] = study.transfer[f"aligned-{seed}"]
    return runs


def test_each_rotated_run_is_read_once_and_each_seed_gets_its_own_rotation(
    study, bbq_lite, monkeypatch
):
    profile = study.profile
    plan, selection = audit_plan(profile), plan_audit(profile, str(bbq_lite))
    reads = Counter()
    original = Store.order_answers

    def counted(self, run_id):
        reads[run_id] += 1
        return original(self, run_id)

    monkeypatch.setattr(Store, "order_answers", counted)
    with Store(study.store_path, readonly=True) as store:
        done = compare_plan(profile, plan, selection, store, _runs(study, plan.recipe))
        monkeypatch.setattr(Store, "order_answers", original)
        # the baseline was read once per seed before: reads grew with items x seeds
        assert reads == Counter({study.baseline: 1, **{r: 1 for r in study.aligned.values()}})

        def on_table(run):
            return {
                i: v
                for i, v in store.order_answers(run).items()
                if selection.items[i].attribute not in profile.align.target
                or i in selection.heldout_ids
            }

        base = on_table(study.baseline)
        for seed, run in study.aligned.items():
            expected = compare_rotation(
                selection.items, base, on_table(run), orders="cyclic", n_boot=200, seed=0
            ).to_dict()
            assert done.seed_rotations[seed] == expected
    assert done.record["rotation"]["seeds"] == {str(s): r for s, r in done.seed_rotations.items()}
