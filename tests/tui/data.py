"""Stored data for the TUI tests: real BBQ rows, synthetic answers, a real store and table.

A sample of BBQ-lite rows is written to a BBQ folder (one row's context carries Rich
markup, to prove it renders literally), loaded with the real loader, answered by two
synthetic runs, compared with the real stats engine, and stored as a finished audit
beside a cancelled one. Timestamps are frozen so screenshots do not change.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from auditor.audit.pipeline import AuditResult
from auditor.audit.profiles import load_profile
from auditor.bbq import load_bbq, sample
from auditor.core.answers import Answer
from auditor.core.events import (
    CellUpdated,
    Event,
    ItemsScored,
    Message,
    StageFinished,
    StageStarted,
    TrainStep,
)
from auditor.core.items import ATTRIBUTES, Item
from auditor.stats import SpilloverTable, compare_runs
from auditor.store.db import Store

PROFILES = Path(__file__).parent / "profiles"
FROZEN_NOW = "2026-01-15T09:30:00+00:00"
MARKUP = " [bold]Sam[/bold] wrote [link=https://example.com/x]here[/link]."
MODEL_OUTPUT = "[link=https://evil.example]B[/link] [bold]answer[/bold]"
TRAIN_STEPS = 12
LOG_NOTE = "checkpoints go to audits/[bold]gender[/bold]/alignment"  # brackets, shown as is


@dataclass
class TuiData:
    bbq: Path
    store_path: Path
    items: dict[str, Item]
    run_a: str
    run_b: str
    train_run: str
    audit_id: str
    cancelled_audit: str
    table: SpilloverTable
    events: list[Event]
    result: AuditResult
    markup_item: str


def write_bbq(src: Path, dst: Path, n: int = 144) -> str:
    """Copy the rows of a stratified sample of ``src`` into ``dst``; returns the id of
    the row given markup in its context."""
    chosen = {i.id for i in sample(load_bbq(src).items, n=n, seed=0)}
    dst.mkdir(parents=True)
    marked = ""
    for attribute in ATTRIBUTES:
        rows = []
        for line in (src / f"{attribute}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if f"{attribute}:{row['example_id']}" not in chosen:
                continue
            if (
                not marked
                and attribute == "Gender_identity"
                and row["context_condition"] == "ambig"
            ):
                row["context"] += MARKUP
                marked = f"{attribute}:{row['example_id']}"
            rows.append(json.dumps(row))
        (dst / f"{attribute}.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return marked


def _scores(predicted: int | None) -> tuple[float, ...]:
    if predicted is None:
        return ()
    return tuple(-0.4 if k == predicted else -1.6 - 0.3 * k for k in range(3))


def answers(items: list[Item], markup_item: str) -> tuple[list[Answer], list[Answer]]:
    """Base and aligned answers: the target goes from biased to right, Age the other way,
    the rest change a little at random."""
    rng = random.Random(7)
    before, after = [], []
    for item in items:
        wrong = next(k for k in range(3) if k != item.label)
        biased = item.roles.biased if item.roles and item.roles.biased != item.label else wrong
        if item.attribute == "Gender_identity":
            a, b = biased, item.label
        elif item.attribute == "Age":
            a, b = item.label, biased
        else:
            a = item.label if rng.random() < 0.6 else rng.randrange(3)
            b = a if rng.random() < 0.85 else rng.randrange(3)
        before.append(Answer(item.id, a, _scores(a)))
        text = MODEL_OUTPUT if item.id == markup_item else ""
        after.append(Answer(item.id, b, _scores(b), text))
    return before, after


def recorded_events(data_cells: list[CellUpdated], run_a: str, run_b: str, n: int) -> list[Event]:
    """What the engine reports during an audit, stage by stage (cells: real ones)."""
    events: list[Event] = [StageStarted("baseline", f"evaluating the base model on {n} items")]
    for stage, run in (("baseline", run_a), ("aligned", run_b)):
        if stage == "aligned":
            events.append(StageStarted("aligned", f"evaluating the aligned model on {n} items"))
        for done in range(16, n + 1, 16):
            events.append(ItemsScored(run, done, n, 4.0, (n - done) / 4.0))
        events.append(StageFinished(stage, detail=run))
        if stage == "baseline":
            events.append(StageStarted("align", "DPO on Gender_identity"))
            events.append(Message(LOG_NOTE))
            for step in range(1, TRAIN_STEPS + 1):
                metrics = {
                    "loss": 0.6931 - 0.03 * step,
                    "rewards/margins": 0.05 * step,
                    "rewards/chosen": 0.02 * step,
                    "rewards/rejected": -0.03 * step,
                    "rewards/accuracies": min(1.0, 0.5 + 0.05 * step),
                    "learning_rate": 5e-5 * (1 - step / TRAIN_STEPS),
                }
                events.append(
                    TrainStep(
                        step, TRAIN_STEPS, step / TRAIN_STEPS, metrics, 5.0 * (TRAIN_STEPS - step)
                    )
                )
            events.append(StageFinished("align", detail="alignment/adapter"))
    events.append(StageStarted("compare", "paired statistics"))
    events.extend(data_cells)
    events.append(StageFinished("compare"))
    return events


def build(root: Path, bbq_lite: Path) -> TuiData:
    markup_item = write_bbq(bbq_lite, root / "bbq")
    items = load_bbq(root / "bbq").items
    by_id = {i.id: i for i in items}
    before, after = answers(list(items), markup_item)
    profile = load_profile(str(PROFILES / "demo.toml"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("auditor.store.db._now", lambda: FROZEN_NOW)
        store = Store(root / "runs.sqlite")
        run_a = store.create_or_get_run(
            "eval", "tui-base", model="smollm2-135m", mode="letter", total=len(items)
        )
        run_b = store.create_or_get_run(
            "eval",
            "tui-aligned",
            model="smollm2-135m",
            adapter="alignment/adapter",
            mode="letter",
            total=len(items),
        )
        train_run = store.create_or_get_run(
            "train", "tui-train", model="smollm2-135m", total=TRAIN_STEPS
        )
        store.add_answers(run_a, items, before)
        store.add_answers(run_b, items, after)
        for run in (run_a, run_b, train_run):
            store.update_run(run, "done")
        cells: list[CellUpdated] = []
        table = compare_runs(
            by_id,
            before,
            after,
            target=("Gender_identity",),
            attributes=ATTRIBUTES,
            n_boot=200,
            seed=0,
            reporter=cells.append,
        )
        audit_id = store.create_or_get_audit("tui-audit", profile.to_dict())
        store.update_audit(
            audit_id,
            status="done",
            baseline_run=run_a,
            train_run=train_run,
            aligned_run=run_b,
            record={"table": table.to_dict(), "adapter_dir": "alignment/adapter"},
        )
        ci = load_profile(str(PROFILES / "ci.toml"))
        cancelled = store.create_or_get_audit("tui-cancelled", ci.to_dict())
        store.update_audit(cancelled, status="cancelled", baseline_run=run_a)
        store.close()
    result = AuditResult(
        audit_id, profile.to_dict(), run_a, train_run, run_b, table, "alignment/adapter"
    )
    return TuiData(
        root / "bbq",
        root / "runs.sqlite",
        by_id,
        run_a,
        run_b,
        train_run,
        audit_id,
        cancelled,
        table,
        recorded_events(cells, run_a, run_b, len(items)),
        result,
        markup_item,
    )
