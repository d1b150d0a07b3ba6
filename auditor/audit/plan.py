"""The audit as a plan: every evaluation, training, comparison and report of a profile,
computed before any model runs, and the combinations the engine refuses.

One recipe (a method on a target) is one plan: the baseline evaluation, one training and
aligned evaluation per training seed (a single run is the one-seed case), each model again
in every untrained format (``[eval] transfer``), then the comparisons — the spillover
table (pooled over the seeds), the target on all its items, the option-order rotation
(per seed) and the format transfer (pooled). With ``[align] trajectory`` the adapter of
every checkpoint the training saves before its last step is evaluated too, and each is
compared with the baseline (the aligned model is the last point). ``runner`` executes a
plan; ``grids`` expands a profile of several targets or methods into one plan per recipe.

A candidate audit (``candidates``) is a plan without a training stage: the baseline, each
candidate's evaluation (model "candidate:<label>") and one set of comparisons per candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from auditor.audit.candidates import Candidate, candidates_of, is_candidate_audit
from auditor.audit.plan_refusals import refuse, trajectory_steps
from auditor.audit.profiles import Profile
from auditor.core.events import PlanAnnounced, StageKey


@dataclass(frozen=True)
class Evaluation:
    """One evaluation: the base, aligned or a candidate model of a stage, in a format and
    orders."""

    key: StageKey
    model: str  # "base", "aligned", "checkpoint" (the adapter saved at ``key.step``) or
    # "candidate:<label>"
    mode: str
    orders: str


@dataclass(frozen=True)
class Training:
    """One training: a method on the target with a training seed (None: the profile's)."""

    key: StageKey
    method: str
    target: tuple[str, ...]
    seed: int | None


@dataclass(frozen=True)
class Pairing:
    """One comparison: the runs of ``before`` against those of ``after`` (several: pooled
    over the seeds, or one measure per seed for the rotation)."""

    name: str  # "table", "rotation", "transfer", "trajectory"
    before: StageKey
    after: tuple[StageKey, ...]
    format: str = ""


@dataclass(frozen=True)
class AuditPlan:
    """Everything one recipe's audit runs, in order."""

    recipe: str
    method: str
    target: tuple[str, ...]
    seeds: tuple[int, ...]  # the seed replicates; () for a single run
    formats: tuple[str, ...]  # the untrained formats
    orders: str
    evaluations: tuple[Evaluation, ...]
    trainings: tuple[Training, ...]
    comparisons: tuple[Pairing, ...]
    reports: tuple[str, ...]
    checkpoints: tuple[int, ...] = ()  # the trajectory's checkpoint steps; () without one
    final_step: int | None = None  # the aligned model's step, when a trajectory has one
    candidates: tuple[Candidate, ...] = ()  # a candidate audit's candidates (no training)

    @property
    def stages(self) -> tuple[StageKey, ...]:
        """Every stage in the order it runs: baseline, its formats, then per seed the
        training, the aligned evaluation and its formats, then the comparison (a candidate
        audit: each candidate's evaluations, then one comparison per candidate)."""
        runs = {e.key: e for e in self.evaluations}
        out = [k for k in runs if k.kind == "baseline"]
        if self.candidates:
            out += [k for k in runs if k.kind == "candidate"]
            compares = (
                StageKey("compare", self.recipe, candidate=c.label) for c in self.candidates
            )
            return (*out, *compares)
        for training in self.trainings:
            out.append(training.key)
            out += [
                k
                for k in runs
                if k.kind in ("aligned", "checkpoint") and k.seed == training.key.seed
            ]
        return (*out, StageKey("compare", self.recipe))

    def announce(self) -> PlanAnnounced:
        return PlanAnnounced(
            self.stages, self.method, self.target, self.seeds, self.formats, self.orders
        )

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain data (``spillover plan --format json``)."""

        def key(k: StageKey) -> dict[str, Any]:
            out = {"kind": k.kind, "seed": k.seed, "format": k.format, "step": k.step}
            return {**out, "candidate": k.candidate} if k.candidate else out

        return {
            "recipe": self.recipe,
            "method": self.method,
            "target": list(self.target),
            "seeds": list(self.seeds),
            "formats": list(self.formats),
            "orders": self.orders,
            "stages": [key(k) for k in self.stages],
            "evaluations": [
                {**key(e.key), "model": e.model, "mode": e.mode, "orders": e.orders}
                for e in self.evaluations
            ],
            "trainings": [
                {**key(t.key), "method": t.method, "target": list(t.target), "train_seed": t.seed}
                for t in self.trainings
            ],
            "comparisons": [
                {
                    "name": c.name,
                    "before": key(c.before),
                    "after": [key(k) for k in c.after],
                    "format": c.format,
                }
                for c in self.comparisons
            ],
            "reports": list(self.reports),
            "checkpoints": list(self.checkpoints),
            "final_step": self.final_step,
            **({"candidates": [c.to_dict() for c in self.candidates]} if self.candidates else {}),
        }

    def lines(self) -> list[str]:
        """The plan in words, one line a step (``spillover plan``)."""

        def where(key: StageKey) -> str:
            seed = "" if key.seed is None else f", seed {key.seed}"
            step = "" if key.step is None else f" step {key.step}"
            name = f"{key.kind} {key.candidate}" if key.candidate else key.kind
            return f"{name}{step}{seed}" + (f" in {key.format}" if key.format else "")

        shown = {f"candidate:{c.label}": c.shown for c in self.candidates}
        out = [f"recipe {self.recipe}:"]
        out += [
            f"  evaluate {where(e.key)}: "
            + (shown[e.model] if e.model in shown else f"the {e.model} model")
            + f", mode {e.mode}, orders {e.orders}"
            for e in self.evaluations
            if e.key.kind in ("baseline", "candidate")
        ]
        if self.candidates:
            named = "+".join(self.target) or "none named (every attribute untargeted)"
            out.append(
                f"  no training (trained elsewhere, on data spillover cannot see); target: {named}"
            )
        for t in self.trainings:
            seed = "the profile's train_seed" if t.seed is None else f"seed {t.seed}"
            out.append(f"  train {t.method} on {'+'.join(t.target)} ({seed})")
            out += [
                f"  evaluate {where(e.key)}: the {e.model} model, mode {e.mode}, orders {e.orders}"
                for e in self.evaluations
                if e.key.kind == "aligned" and e.key.seed == t.key.seed
            ]
            out += [
                f"  evaluate {where(e.key)}: the adapter saved at step {e.key.step}, "
                f"mode {e.mode}, orders {e.orders}"
                for e in self.evaluations
                if e.key.kind == "checkpoint" and e.key.seed == t.key.seed
            ]
        for c in self.comparisons:
            pooled = (
                f" pooled over {len(c.after)} seeds"
                if len(c.after) > 1 and c.name != "rotation"
                else " per seed"
                if len(c.after) > 1
                else ""
            )
            against = (
                where(c.after[0])
                if c.name == "trajectory"
                else (f"candidate {c.after[0].candidate}" if c.after[0].candidate else "aligned")
                + (" in " + c.format if c.format else "")
            )
            out.append(f"  compare {c.name}: {where(c.before)} against {against}{pooled}")
        out.append(f"  report: {', '.join(self.reports)}")
        return out


def recipe_label(method: str, target: tuple[str, ...]) -> str:
    return f"{method} → {'+'.join(target)}"


def replicate_seeds(profile: Profile) -> tuple[int, ...]:
    """The training seeds the audit trains one adapter each for; () for a single run."""
    return profile.align.seeds if len(profile.align.seeds) > 1 else ()


def audit_plan(profile: Profile) -> AuditPlan:
    """The plan of the audit of ``profile`` (one recipe: ``align.method`` on
    ``align.target``); InputError in one line for a combination it cannot run
    completely. A profile with candidates makes a candidate audit's plan."""
    if is_candidate_audit(profile):
        return candidate_plan(profile)
    refuse(profile)
    a, e = profile.align, profile.eval
    recipe = recipe_label(a.method, a.target)
    seeds = replicate_seeds(profile)
    single = a.seeds[0] if len(a.seeds) == 1 else None
    train_seeds: tuple[int | None, ...] = seeds or (None,)
    formats = tuple(e.transfer)

    def evaluations(kind: str, seed: int | None) -> list[Evaluation]:
        model = "base" if kind == "baseline" else "aligned"
        return [
            Evaluation(StageKey(kind, recipe, seed), model, e.mode, e.orders),
            *(Evaluation(StageKey(kind, recipe, seed, f), model, f, "none") for f in formats),
        ]

    evals = evaluations("baseline", None)
    for seed in train_seeds:
        evals += evaluations("aligned", seed)
    steps = trajectory_steps(a)
    evals += [
        Evaluation(StageKey("checkpoint", recipe, step=s), "checkpoint", e.mode, e.orders)
        for s in steps
    ]
    trainings = tuple(
        Training(
            StageKey("align", recipe, s), a.method, tuple(a.target), single if s is None else s
        )
        for s in train_seeds
    )
    base = StageKey("baseline", recipe)
    comparisons = [
        Pairing("table", base, tuple(StageKey("aligned", recipe, s) for s in train_seeds))
    ]
    reports = ["spillover table"]
    if e.orders != "none":
        comparisons.append(Pairing("rotation", base, comparisons[0].after))
        reports.append("position bias and order consistency")
    if formats:
        f = formats[0]  # the first untrained format gets the second table
        comparisons.append(
            Pairing(
                "transfer",
                StageKey("baseline", recipe, None, f),
                tuple(StageKey("aligned", recipe, s, f) for s in train_seeds),
                f,
            )
        )
        reports.append(f"format transfer ({f})")
    comparisons += [
        Pairing("trajectory", base, (StageKey("checkpoint", recipe, step=s),)) for s in steps
    ]
    if steps:
        reports.append(f"trajectory (steps {', '.join(map(str, steps))}, {a.max_steps})")
    return AuditPlan(
        recipe,
        a.method,
        tuple(a.target),
        seeds,
        formats,
        e.orders,
        tuple(evals),
        trainings,
        tuple(comparisons),
        tuple(reports),
        steps,
        a.max_steps if steps else None,
    )


CANDIDATE_RECIPE = "candidates against the base"


def candidate_plan(profile: Profile, candidates: tuple[Candidate, ...] | None = None) -> AuditPlan:
    """The plan of a candidate audit: the base evaluated once (and in each untrained
    format), every candidate (default: the profile's; e.g. the checkpoints of a training
    run, each with its step) on the same items, then per candidate the spillover table,
    the rotation and the format transfer against the base; no training."""
    from auditor.audit.candidates import refuse_candidates

    refuse_candidates(profile)
    e, recipe, formats = profile.eval, CANDIDATE_RECIPE, tuple(profile.eval.transfer)
    base = StageKey("baseline", recipe)
    evals = [
        Evaluation(base, "base", e.mode, e.orders),
        *(Evaluation(replace(base, format=f), "base", f, "none") for f in formats),
    ]
    comparisons: list[Pairing] = []
    candidates = candidates_of(profile) if candidates is None else candidates
    for c in candidates:
        key, model = StageKey("candidate", recipe, candidate=c.label), f"candidate:{c.label}"
        evals.append(Evaluation(key, model, e.mode, e.orders))
        evals += [Evaluation(replace(key, format=f), model, f, "none") for f in formats]
        comparisons.append(Pairing("table", base, (key,)))
        if e.orders != "none":
            comparisons.append(Pairing("rotation", base, (key,)))
        if formats:
            f = formats[0]
            comparisons.append(
                Pairing("transfer", replace(base, format=f), (replace(key, format=f),), f)
            )
    reports = ["spillover table per candidate"]
    if e.orders != "none":
        reports.append("position bias and order consistency")
    if formats:
        reports.append(f"format transfer ({formats[0]})")
    return AuditPlan(
        recipe,
        "",
        tuple(profile.candidate.target),
        (),
        formats,
        e.orders,
        tuple(evals),
        (),
        tuple(comparisons),
        tuple(reports),
        candidates=candidates,
    )
