"""What the run screen shows, as plain data folded from engine events (no Textual here)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from auditor.core.events import (
    CellUpdated,
    Event,
    ItemsScored,
    Message,
    PlanAnnounced,
    StageFinished,
    StageKey,
    StageStarted,
    TrainStep,
)
from auditor.stats.frame import attribute_order
from auditor.stats.table import Cell, Pairing, SpilloverTable

LABELS = {
    "baseline": "baseline eval",
    "align": "DPO alignment",
    "aligned": "aligned eval",
    "compare": "compare",
}
PENDING, RUNNING, DONE, REUSED = "pending", "running", "done", "reused"
FAILED, CANCELLED = "failed", "cancelled"
MAX_MESSAGES = 50


@dataclass
class StageState:
    name: str
    status: str = PENDING
    detail: str = ""
    seeds: dict[int, str] = field(default_factory=dict)  # seed replicate -> its status
    title: str = ""  # instead of the usual label ("KTO alignment")

    @property
    def label(self) -> str:
        """ "baseline eval", "aligned (cloze)": an untrained-format stage keeps its name."""
        return self.title or LABELS.get(self.name, self.name)

    def seed_line(self) -> str:
        """Each seed's status, compact enough for the tracker's status column: "0✓ 1▶ 2○"."""
        marks = {PENDING: "○", RUNNING: "▶", DONE: "✓", REUSED: "↺", FAILED: "✗", CANCELLED: "■"}
        return " ".join(f"{s}{marks.get(v, '?')}" for s, v in self.seeds.items())


def plan_keys(seeds: tuple[int, ...] = (), transfer: tuple[str, ...] = ()) -> tuple[StageKey, ...]:
    """The stages of a one-recipe audit in the order its plan runs them (as
    ``audit.plan.AuditPlan.stages``, without the recipe)."""
    formats = ("", *transfer)
    out = [StageKey("baseline", "", None, f) for f in formats]
    for seed in seeds or (None,):
        out += [StageKey("align", "", seed), *(StageKey("aligned", "", seed, f) for f in formats)]
    return (*out, StageKey("compare"))


def stage_names(transfer: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The audit's stages in order; each untrained format (``[eval] transfer``) adds
    "baseline (cloze)" after the baseline and "aligned (cloze)" after the aligned eval."""
    return tuple(dict.fromkeys(k.name for k in plan_keys((), transfer)))


@dataclass
class AuditProgress:
    """Stages, latest evaluation progress per stage, training history and the table.

    The stages are drawn from the audit's plan (``PlanAnnounced``; before it arrives, the
    plan of ``seeds`` and ``transfer``). A stage of several seed replicates shows each
    seed's status, which the stage events name (``StageKey.seed``). Training steps are
    kept per seed (``trains``; ``train`` is the seed training now), and each seed's own
    table fills (``seed_tables``) before the pooled one (``table``)."""

    table: SpilloverTable
    stages: dict[str, StageState] = field(default_factory=dict)
    current: str | None = None
    evals: dict[str, ItemsScored] = field(default_factory=dict)  # by stage
    run_stages: dict[str, str] = field(default_factory=dict)  # run id -> stage
    train: list[TrainStep] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    seeds: tuple[int, ...] = ()
    transfer: tuple[str, ...] = ()
    orders: str = "none"  # option-order rotation: progress counts item orderings
    trains: dict[int, list[TrainStep]] = field(default_factory=dict)  # by seed
    train_seed: int | None = None  # the seed whose training runs (or ran last)
    seed_tables: dict[int, SpilloverTable] = field(default_factory=dict)
    filling: int | None = None  # the seed whose table fills now (None: the pooled one)

    def __post_init__(self) -> None:
        self.lay_out(plan_keys(self.seeds, self.transfer))

    def lay_out(self, keys: tuple[StageKey, ...]) -> None:
        """The tracker's stages from a plan's stages, in order (a stage run once per seed
        is one line with the seeds' statuses); statuses already known are kept."""
        for key in keys:
            stage = self.stages.setdefault(key.name, StageState(key.name))
            if key.seed is not None:
                stage.seeds.setdefault(key.seed, PENDING)

    def _finish_seed(self, stage: StageState, seed: int | None, event: StageFinished) -> None:
        if seed in stage.seeds:
            stage.seeds[seed] = REUSED if event.skipped else DONE
        left = [v for v in stage.seeds.values() if v in (PENDING, RUNNING)]
        if left:
            stage.status = RUNNING if RUNNING in left else PENDING
        else:
            stage.status = REUSED if all(v == REUSED for v in stage.seeds.values()) else DONE

    def apply(self, event: Event) -> set[str]:
        """Fold one event in; returns the parts that changed (stages, eval, train, table,
        messages)."""
        if isinstance(event, PlanAnnounced):
            self.seeds, self.transfer, self.orders = event.seeds, event.formats, event.orders
            known, self.stages = self.stages, {}  # the announced plan's stages, in its order
            for key in event.stages:
                self.stages.setdefault(key.name, known.get(key.name) or StageState(key.name))
            self.lay_out(event.stages)
            return {"stages"}
        if isinstance(event, StageStarted):
            name, seed = _where(event)
            stage = self.stages.setdefault(name, StageState(name))
            stage.status, stage.detail, self.current = RUNNING, event.detail, name
            if seed is None or seed not in stage.seeds:
                return {"stages"}
            stage.seeds[seed] = RUNNING
            if stage.name == "align":  # a new seed's curve starts
                self.train_seed, self.train = seed, list(self.trains.get(seed, []))
                return {"stages", "train"}
            return {"stages", "eval"}
        if isinstance(event, StageFinished):
            name, seed = _where(event)
            stage = self.stages.setdefault(name, StageState(name))
            if stage.seeds:
                self._finish_seed(stage, seed, event)
                return {"stages", "eval", "train"} if event.skipped else {"stages"}
            if not event.skipped:
                stage.status = DONE
                return {"stages"}
            stage.status, stage.detail = REUSED, event.detail  # e.g. the stored run's id
            return {"stages", "eval", "train"}
        if isinstance(event, ItemsScored):
            stage = self.run_stages.setdefault(event.run_id, self.current or event.run_id)
            self.evals[stage] = event
            return {"eval"}
        if isinstance(event, TrainStep):
            if self.train and event.step <= self.train[-1].step:  # resumed: drop replays
                self.train = [t for t in self.train if t.step < event.step]
            self.train.append(event)
            if self.train_seed is not None:
                self.trains[self.train_seed] = self.train
            return {"train"}
        if isinstance(event, CellUpdated):
            cell = Cell.from_dict(event.payload)
            self.filling = event.seed
            if event.seed is None:
                self.table = self.table.with_cell(cell)
            else:
                start = self.seed_tables.get(event.seed, replace(self.table, seeds=()))
                self.seed_tables[event.seed] = start.with_cell(cell)
            return {"table"}
        if isinstance(event, Message):
            self.messages = [*self.messages, event][-MAX_MESSAGES:]
            return {"messages"}
        return set()

    def prepend_train(self, steps: list[TrainStep]) -> bool:
        """Put a resumed run's stored steps before the live ones (their totals taken from
        the live steps); whether any were added."""
        if not self.train:
            return False
        first, total = self.train[0].step, self.train[0].total_steps
        earlier = [replace(s, total_steps=total, eta_s=None) for s in steps if s.step < first]
        self.train = earlier + self.train
        if self.train_seed is not None:
            self.trains[self.train_seed] = self.train
        return bool(earlier)

    def steps_of(self, seed: int | None) -> list[TrainStep]:
        """The training steps of ``seed`` (None, or a single run: the current training)."""
        if seed is None or seed == self.train_seed:
            return self.train
        return self.trains.get(seed, [])

    def shown_table(self) -> tuple[SpilloverTable, int | None]:
        """The table to draw while the comparison runs: the seed's own table that fills
        now, else the audit's (pooled) table; with the seed it belongs to."""
        if self.filling is not None and self.filling in self.seed_tables:
            return self.seed_tables[self.filling], self.filling
        return self.table, None

    def read_back(self, result, candidates=()) -> None:
        """A finished audit read from the store: every stage of the plan is a stored one,
        each naming its run (or adapter; each of ``candidates``' results, its run)."""
        reps = {r["seed"]: r for r in result.replicates}
        details = {
            "baseline": result.baseline_run,
            "align": result.adapter_dir,
            "aligned": result.aligned_run,
        }
        for each in candidates:
            details[f"candidate {(each.candidate or {}).get('label')}"] = each.aligned_run
        for name, stage in self.stages.items():
            stage.status, stage.detail = REUSED, details.get(name, "")
            for seed in stage.seeds:
                stage.seeds[seed] = REUSED if seed in reps else PENDING
        self.current = None

    @property
    def stored(self) -> frozenset[str]:
        """Stages whose stored result the audit reused instead of running them."""
        return frozenset(name for name, s in self.stages.items() if s.status == REUSED)

    def stop(self, status: str, reason: str = "") -> None:
        """Mark the running stage (or, when none had started, the first pending one)
        failed or cancelled, with ``reason`` as its detail; later stages say they did
        not run."""
        stage = self.stages.get(self.current) if self.current else None
        if stage is None or stage.status != RUNNING:
            stage = next((s for s in self.stages.values() if s.status == PENDING), None)
        if stage is not None:
            stage.status = status
            if reason and reason != status:
                stage.detail = reason
        for later in self.stages.values():
            if later.status == PENDING:
                later.detail = "not run"


def _where(event: StageStarted | StageFinished) -> tuple[str, int | None]:
    """The tracker line and seed a stage event names (an event without a key: its name)."""
    if event.key is None:
        return event.stage, None
    return event.key.name, event.key.seed


def progress_for(profile) -> AuditProgress:
    """The progress of an audit of ``profile``: its stages drawn from its plan before any
    event."""
    from auditor.audit.plan import audit_plan

    plan = audit_plan(profile)
    progress = AuditProgress(
        empty_table(profile), seeds=plan.seeds, transfer=plan.formats, orders=plan.orders
    )
    progress.stages = {}  # the plan's stages only (a candidate audit trains nothing)
    progress.lay_out(plan.stages)
    if "align" in progress.stages:
        progress.stages["align"].title = f"{profile.align.method.upper()} alignment"
    return progress


def empty_table(profile) -> SpilloverTable:
    """The table an audit of ``profile`` will fill: target rows first, nothing measured."""
    from auditor.audit.candidate_settings import table_target

    target = tuple(table_target(profile))
    rest = tuple(a for a in attribute_order(profile.data.attributes) if a not in target)
    return SpilloverTable(
        target=target,
        attributes=target + rest,
        pairing=Pairing(0, 0, 0),
        correction=profile.stats.correction,
        alpha=profile.stats.alpha,
        n_boot=profile.stats.n_boot,
        seed=profile.stats.seed,
    )
