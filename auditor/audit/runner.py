"""The runner: one audit plan executed stage by stage, every stored stage reused by its key.

Each stage of the plan (``plan.AuditPlan.stages``) is run or read back: an evaluation is
reused when the audit's record names a finished run of the same model (for an aligned
model, of the adapter just trained; for a trajectory's checkpoint, of the adapter kept
from that step), training reuses or resumes its own run folder (per
seed replicate: ``alignment-seed<N>/``). The comparison runs last, on rank 0.

A candidate audit's plan has no training: each candidate's evaluations and comparison are
kept in that candidate's own audit record (``ledgers``, by label); the baseline is shared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.audit.ledger import Ledger
from auditor.audit.plan import AuditPlan
from auditor.audit.profiles import Profile
from auditor.audit.result import AuditResult, result_of
from auditor.audit.selection import Selection
from auditor.core.events import (
    CancelToken,
    Reporter,
    StageFinished,
    StageKey,
    StageStarted,
    check_cancel,
)
from auditor.store.records import AuditOutcome, AuditRecord, ReplicateLink, outcome

if TYPE_CHECKING:
    from auditor.align.train import AlignResult
    from auditor.models.loading import ModelSpec


class Runner:
    """Executes one recipe's ``plan`` for ``profile`` on ``selection``'s items."""

    def __init__(
        self,
        profile: Profile,
        plan: AuditPlan,
        selection: Selection,
        ledger: Ledger,
        folder: Path,
        report: Reporter,
        cancel: CancelToken | None,
        ledgers: dict[str, Ledger] | None = None,
    ) -> None:
        from auditor.models.loading import ModelSpec

        self.profile, self.plan, self.selection = profile, plan, selection
        self.ledger, self.folder, self.report, self.cancel = ledger, folder, report, cancel
        m = profile.model
        self.base = ModelSpec(
            m.source, m.adapter or None, m.device, m.dtype, m.trust_remote_code, m.allow_pickle
        )
        self.ledgers = ledgers or {"": ledger}  # a candidate audit: one per candidate
        self.results: list[AuditResult] = []  # one per comparison stage (rank 0)
        self.runs: dict[StageKey, str] = {}
        self.trained: dict[int | None, AlignResult] = {}  # seed -> its training
        self.specs: dict[int | None, ModelSpec] = {}  # seed -> the aligned model

    @property
    def n_items(self) -> int:
        return len(self.selection.eval_items)

    def run(self) -> AuditResult | None:
        """Every stage in order; the (last) result on rank 0, None on the other ranks
        (``results``: every comparison's, one per candidate of a candidate audit)."""
        self.report(self.plan.announce())
        for key in self.plan.stages:
            if key.kind == "compare" and self.ledger.main:
                self.results.append(self._compare(key))
            elif key.kind != "compare":
                getattr(self, f"_{key.kind}")(key)
            check_cancel(self.cancel)
        return self.results[-1] if self.ledger.main else None

    # -- evaluations ------------------------------------------------------------------
    def _baseline(self, key: StageKey) -> None:
        fmt = key.format

        def remember(run: str) -> None:  # a candidate audit: every candidate's record
            for ledger in self.ledgers.values():
                if fmt:
                    ledger.remember_transfer(fmt, "baseline", run)
                else:
                    ledger.write(baseline_run=run)

        self._evaluate(
            key,
            self.base,
            self._transfer_doing("baseline", fmt)
            if fmt
            else f"evaluating the base model on {self.n_items} items",
            stored=lambda r: (
                r.outcome.transfer_runs.get(fmt, {}).get("baseline") if fmt else r.baseline_run
            ),
            remember=remember,
        )

    def _candidate(self, key: StageKey) -> None:
        """A candidate's evaluation (or its evaluation in an untrained format), kept in
        its own audit record."""
        from auditor.audit.candidates import candidate_spec

        c = next(c for c in self.plan.candidates if c.label == key.candidate)
        fmt, ledger, what = key.format, self.ledgers[c.label], f"candidate {c.label}"

        def remember(run: str) -> None:
            if fmt:
                ledger.remember_transfer(fmt, "aligned", run)
            else:
                ledger.write(aligned_run=run)

        self._evaluate(
            key,
            candidate_spec(c, self.profile.model),
            self._transfer_doing(what, fmt)
            if fmt
            else f"evaluating {what} ({c.shown}) on {self.n_items} items",
            stored=lambda r: (
                r.outcome.transfer_runs.get(fmt, {}).get("aligned") if fmt else r.aligned_run
            ),
            remember=remember,
            ledgers=(ledger,),
        )

    def _aligned(self, key: StageKey) -> None:
        seed, fmt = key.seed, key.format
        spec, trained = self.specs[seed], self.trained[seed]
        if seed is None and not fmt:
            self._evaluate(
                key,
                spec,
                f"evaluating the aligned model on {self.n_items} items",
                stored=lambda r: r.aligned_run,
                remember=lambda run: self.ledger.write(aligned_run=run),
            )
        elif seed is None:
            self._evaluate(
                key,
                spec,
                self._transfer_doing("aligned", fmt),
                stored=lambda r: r.outcome.transfer_runs.get(fmt, {}).get("aligned"),
                remember=lambda run: self.ledger.remember_transfer(fmt, "aligned", run),
            )
        else:

            def stored(record: AuditRecord) -> str | None:
                link = _link(record.outcome, seed)
                if link is None or link.train_run != trained.run_id:
                    return None
                return link.transfer.get(fmt) if fmt else link.aligned_run

            doing = (
                f"evaluating the aligned model of seed {seed} on {self.n_items} items"
                if not fmt
                else self._transfer_doing(f"aligned seed {seed}", fmt)
            )
            self._evaluate(
                key,
                spec,
                doing,
                stored=stored,
                remember=lambda run: self.ledger.remember_replicate(
                    self.trained[seed], seed, self.plan.seeds[0], fmt, run
                ),
                stored_detail=f"seed {seed}: stored",
            )

    def _transfer_doing(self, what: str, fmt: str) -> str:
        return f"format transfer: the {what} model in the {fmt} format on {self.n_items} items"

    def _evaluate(
        self,
        key: StageKey,
        spec: ModelSpec,
        doing: str,
        *,
        stored: Callable[[AuditRecord], str | None],
        remember: Callable[[str], None],
        stored_detail: str = "stored",
        ledgers: tuple[Ledger, ...] | None = None,
    ) -> None:
        """The finished run ``stored(record)`` names in one of the ``ledgers``' records
        (default: all) when it evaluated ``spec``'s adapter (rank 0 reads, every rank
        learns), else a new evaluation rank 0 ``remember``s."""
        from auditor.evaluation.evaluate import evaluate

        def reusable() -> str | None:
            for ledger in ledgers or self.ledgers.values():
                previous = stored(ledger.record())
                if ledger.done_run(previous, spec.adapter):
                    return previous
            return None

        label = key.name
        previous = self.ledger.read(reusable)
        if previous:
            self.report(StageStarted(label, stored_detail, key))
            self.report(StageFinished(label, skipped=True, detail=previous, key=key))
            self.runs[key] = previous
            return
        self.report(StageStarted(label, doing, key))
        e = self.profile.eval  # an untrained format: evaluated in that mode, unrotated
        run_id = evaluate(
            spec,
            self.selection.eval_items,
            mode=key.format or e.mode,
            store=self.ledger.store,
            batch_size=e.batch_size,
            reporter=self.report,
            cancel=self.cancel,
            prompt_style=e.prompt_style,
            max_new_tokens=e.max_new_tokens,
            data_checksum=self.selection.checksum,
            orders="none" if key.format else e.orders,
            prefix_cache=e.prefix_cache,
        )
        if self.ledger.main:
            remember(run_id)
        self.report(StageFinished(label, detail=run_id, key=key))
        self.runs[key] = run_id

    # -- training ---------------------------------------------------------------------
    def _align(self, key: StageKey) -> None:
        from auditor.align.train import align

        training = next(t for t in self.plan.trainings if t.key == key)
        seeds, a = self.plan.seeds, self.profile.align
        detail = f"{a.method.upper()} on {', '.join(a.target)}"
        if key.seed is not None:
            detail += f", seed {key.seed} ({seeds.index(key.seed) + 1} of {len(seeds)})"
        self.report(StageStarted("align", detail, key))
        settings = a if training.seed is None else replace(a, train_seed=training.seed)
        out_dir = self.folder / ("alignment" if key.seed is None else f"alignment-seed{key.seed}")
        trained = align(
            self.base,
            list(self.selection.items.values()),
            settings=settings,
            prompt_style=self.profile.eval.prompt_style,
            split=self.selection.split,
            out_dir=out_dir,
            store=self.ledger.store,
            reporter=self.report,
            cancel=self.cancel,
            merge=bool(self.profile.model.adapter),
        )
        if key.seed is None:
            self.ledger.write(
                train_run=trained.run_id, record=outcome(adapter_dir=str(trained.adapter_dir))
            )
        self.report(
            StageFinished("align", skipped=trained.reused, detail=str(trained.adapter_dir), key=key)
        )
        self.trained[key.seed] = trained
        self.specs[key.seed] = (  # a trained adapter on an adapter sits on the merged model
            replace(self.base, source=str(trained.merged_dir), adapter=None)
            if self.profile.model.adapter
            else replace(self.base, adapter=str(trained.adapter_dir))
        )

    def _checkpoint(self, key: StageKey) -> None:
        """The adapter the training saved at ``key.step`` (a trajectory's point), evaluated
        on the audit's items and reused by its stored run."""
        from auditor.align.run_folder import RunFolder
        from auditor.core.errors import InputError

        step, trained = key.step, self.trained[key.seed]
        kept = RunFolder(trained.adapter_dir.parent).step_adapters()
        adapter = kept.get(step) if step is not None else None
        if adapter is None:
            raise InputError(
                f"align.trajectory: {trained.adapter_dir.parent} keeps no adapter of step "
                f"{step} (trained without trajectory); delete that folder to train again"
            )
        self._evaluate(
            key,
            replace(self.base, adapter=str(adapter)),
            f"evaluating the checkpoint of step {step} on {self.n_items} items",
            stored=lambda r: r.outcome.checkpoint_runs.get(str(step)),
            remember=lambda run: self.ledger.write(
                record=outcome(
                    checkpoint_runs={**self.ledger.outcome().checkpoint_runs, str(step): run}
                )
            ),
        )

    # -- comparisons ------------------------------------------------------------------
    def _compare(self, key: StageKey) -> AuditResult:
        from auditor.audit.plan_tables import compare_plan

        seeds, one = self.plan.seeds, key.candidate  # one: a candidate's comparison
        detail = (
            f"paired statistics pooled over {len(seeds)} seeds" if seeds else "paired statistics"
        )
        if one:
            detail += f": candidate {one} against the base"
        self.report(StageStarted(key.name, detail, key))
        done = compare_plan(
            self.profile,
            self.plan,
            self.selection,
            self.ledger.db,
            self.runs,
            self.report,
            self.cancel,
            [p for p in self.plan.comparisons if p.after[0].candidate == one] if one else None,
        )
        if seeds and done.seed_rotations:
            links = {link.seed: link for link in self.ledger.outcome().replicate_links()}
            self.ledger.write(
                record=outcome(
                    replicates={
                        str(s): replace(link, rotation=done.seed_rotations.get(s)).to_json()
                        for s, link in sorted(links.items())
                    }
                )
            )
        ledger = self.ledgers[one] if one else self.ledger
        ledger.write(status="done", record=done.record)
        self.report(StageFinished(key.name, key=key))
        stored = result_of(ledger.record())
        return replace(
            stored,
            profile=self.profile.to_dict(),
            table=done.table,
            target_all=done.target_all,
            transfer=done.transfer,
        )


def _link(out: AuditOutcome, seed: int) -> ReplicateLink | None:
    return next((link for link in out.replicate_links() if link.seed == seed), None)
