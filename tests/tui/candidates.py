"""A finished candidate audit of two fine-tunes, stored as the engine stores one: each
candidate its own audit record under its audit id (real keys, real BBQ checksum), on the
fixture's base run. Candidate 1 answers as the fixture's aligned run (its target gender
better, Age worse); candidate 2 as the base with a few answers changed at random."""

from __future__ import annotations

import dataclasses
import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from auditor.audit.candidates import candidates_of, with_candidate_gate
from auditor.audit.history import load_audit
from auditor.audit.profiles import Profile, load_profile
from auditor.audit.result import AuditResult
from auditor.audit.selection import audit_key, plan_audit
from auditor.core.answers import Answer
from auditor.core.items import ATTRIBUTES
from auditor.stats import compare_runs
from auditor.store.db import Store
from auditor.store.records import outcome

from .data import PROFILES, answers

MODELS = ("org/one-finetune", "org/[bold]two[/bold]-finetune")  # markup shown as is


@dataclass
class CandidateAudit:
    profile: Profile
    data: object  # TuiData over the copied store
    results: tuple[AuditResult, ...]  # as read back, in the candidates' order


def candidate_audit(tui_data, folder: Path, models=MODELS) -> CandidateAudit:
    copy = folder / "runs.sqlite"
    with sqlite3.connect(tui_data.store_path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    raw = load_profile(
        str(PROFILES / "demo.toml"),
        [
            f"candidate.models={list(models)!r}".replace("'", '"'),
            'candidate.target=["Gender_identity"]',
            "gate.min_cell=4",  # a fixture's cells are small: judged, not refused
            "gate.min_paired=50",
        ],
    )
    profile = with_candidate_gate(raw, mode_named=False)
    checksum = plan_audit(profile, str(tui_data.bbq)).checksum
    items = list(tui_data.items.values())
    before, after = answers(items, tui_data.markup_item)
    rng = random.Random(11)
    near = [
        a if rng.random() < 0.95 else Answer(a.item_id, rng.randrange(3), a.scores) for a in before
    ]
    ids = []
    with Store(copy) as store:
        second = store.create_or_get_run(
            "eval", "tui-candidate-2", model=models[1], mode="letter", total=len(items)
        )
        store.add_answers(second, items, near)
        store.update_run(second, "done")
        for candidate, run, answered in zip(
            candidates_of(profile), (tui_data.run_b, second), (after, near), strict=True
        ):
            table = compare_runs(
                tui_data.items,
                before,
                answered,
                target=("Gender_identity",),
                attributes=ATTRIBUTES,
                n_boot=200,
                seed=0,
            )
            audit_id = store.create_or_get_audit(
                audit_key(profile, checksum, candidate), profile.to_dict()
            )
            store.update_audit(
                audit_id,
                status="done",
                baseline_run=tui_data.run_a,
                aligned_run=run,
                record=outcome(table=table.to_dict(), candidate=candidate.to_dict()),
            )
            ids.append(audit_id)
        results = tuple(load_audit(store, i) for i in ids)
    return CandidateAudit(profile, dataclasses.replace(tui_data, store_path=copy), results)


def judged_by_cli(store_path, results, profile) -> list[str]:
    """Each candidate's verdict as `spillover audit --gate` gives it."""
    from auditor.audit.candidate_report import candidate_reports
    from auditor.store.db import Store

    with Store(store_path) as store:
        reports = candidate_reports(store, results, profile, section=profile.gate)
    return [r.verdict.outcome for r in reports]


def worst_by_hand(verdicts: list[str]) -> int:
    order = ["cannot judge", "degraded", "inconclusive", "passed"]
    return sorted(range(len(verdicts)), key=lambda i: (order.index(verdicts[i]), i))[0]


def shown_table(screen):
    from tui.widgets.spillover import SpilloverView

    return screen.query_one(SpilloverView).table.to_dict()


def recomputed_table(store, result, bbq):
    """``result``'s table recomputed from its stored runs (Age the target, as the app's real
    candidate audits set it)."""
    from auditor.audit.comparison import compare_stored

    return compare_stored(
        store, result.baseline_run, result.aligned_run, bbq=str(bbq), target=("Age",),
        n_boot=200, seed=0,
    ).table  # fmt: skip
