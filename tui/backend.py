"""The engine calls the app makes, in one object the tests can replace.

Every method may block (SQLite, loading BBQ, training), so the app calls them only from
thread workers. Engine modules are imported inside the methods: opening the app never
imports torch.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.audit.profiles import Profile
    from auditor.core.events import CancelToken, Reporter
    from auditor.store.records import RunRecord


class Backend:
    """The real engine over one run store and one BBQ source (``None``: the default)."""

    def __init__(self, store_path: str | Path | None = None, bbq: str | None = None):
        self.store_path = store_path
        self.bbq = bbq
        self._store = None
        self._reader = None
        self._items: dict[frozenset, Mapping] = {}
        self._lock = threading.Lock()
        self._writing = threading.RLock()  # reads wait for a write in progress

    @property
    def store_location(self) -> Path:
        """Where the run store is (or will be), without opening it (as shown)."""
        return self._path()

    def _path(self) -> Path:
        from auditor.store.db import default_store_path

        return Path(self.store_path).expanduser() if self.store_path else default_store_path()

    @property
    def reader(self):
        """The run store opened read-only for browsing (None while there is no store):
        looking at results never writes to the store or creates one."""
        with self._writing, self._lock:
            if self._reader is None and self._path().is_file():
                from auditor.store.db import Store

                self._reader = Store(self._path(), readonly=True)
            return self._reader

    @property
    def store(self):
        """The run store for writing (audits, deletions), opened on first use."""
        with self._lock:
            if self._store is None:
                from auditor.store.db import Store, default_store_path

                self._store = Store(self.store_path or default_store_path())
            return self._store

    def close(self) -> None:
        with self._lock:
            for name in ("_store", "_reader"):
                if getattr(self, name) is not None:
                    getattr(self, name).close()
                    setattr(self, name, None)

    def _read(self):
        from auditor.core.errors import InputError

        if self.reader is None:
            raise InputError(f"store {self._path()}: no such file yet (nothing stored)")
        return self.reader

    # -- history --------------------------------------------------------------------
    def list_audits(self) -> list[dict]:
        from auditor.audit.history import list_audits

        return list_audits(self.reader) if self.reader is not None else []

    def list_runs(self) -> list[RunRecord]:
        """Stored evaluation runs, newest first."""
        return self.reader.runs("eval") if self.reader is not None else []

    def load_audit(self, audit_id: str):
        from auditor.audit.history import load_audit

        return load_audit(self._read(), audit_id)

    def finished_audit(self, profile: Profile):
        """The stored result of ``profile``'s audit when it has finished, else None: read
        from the store (BBQ for its checksum), with no pipeline run and no torch import."""
        from auditor.audit.history import finished_audit

        with self._writing:
            reader = self.reader
            return None if reader is None else finished_audit(reader, profile, self.bbq)

    def finished_results(self, profile: Profile) -> tuple | None:
        """``finished_audit``'s results: one, or one per candidate of a candidate audit."""
        from auditor.audit.history import finished_results

        with self._writing:
            reader = self.reader
            return None if reader is None else finished_results(reader, profile, self.bbq)

    def candidate_results(self, result) -> tuple:
        """The stored candidate audit ``result`` is one candidate of: every finished
        candidate, in its order (just ``result`` for any other audit)."""
        from auditor.audit.history import candidate_results

        return candidate_results(self._read(), result)

    def verdicts(self, results) -> tuple[str | None, ...]:
        """Each candidate's gate verdict as ``spillover audit --gate`` gives it (its
        profile's gate, refusing runs it cannot judge); None for an audit that is no
        candidate audit."""
        if not results or not all(r.candidate for r in results):
            return (None,) * len(results)
        from auditor.audit.candidate_report import candidate_reports
        from auditor.audit.profiles import build_profile

        profile = build_profile(results[-1].profile)
        reports = candidate_reports(self._read(), results, profile, section=profile.gate)
        return tuple(r.verdict.outcome if r.verdict else None for r in reports)

    def judged(self, results) -> tuple[list[tuple], str]:
        """Each candidate of a candidate audit of several with its gate verdict, ([] for
        any other audit), and why they could not be judged ("" when they were): then
        each verdict is None, and the tables still show."""
        if len(results) < 2:
            return [], ""
        from auditor.core.errors import described

        why = ""
        try:
            verdicts = self.verdicts(results)
        except Exception as exc:  # noqa: BLE001 - fail closed: "not judged", and why
            why = described(exc)
            verdicts = (None,) * len(results)
        return list(zip(results, verdicts, strict=True)), why

    def open_audit(self, audit_id: str) -> tuple:
        """A stored audit's result, with every candidate of its candidate audit judged,
        and why they were not (``judged``)."""
        result = self.load_audit(audit_id)
        return (result, *self.judged(self.candidate_results(result)))

    def delete_audit(self, audit_id: str) -> list[str]:
        """Delete a stored audit and its runs that no other audit uses."""
        with self._writing:
            try:
                return self.store.delete_audit(audit_id)
            finally:
                self._reopen_reader()

    def audit_profile(self, audit_id: str) -> Profile:
        """The profile a stored audit ran with (to resume it)."""
        from auditor.audit.profiles import build_profile

        return build_profile(dict(self._read().audit(audit_id).profile), f"audit {audit_id}")

    def compare_stored(self, run_a: str, run_b: str, target: tuple[str, ...]):
        from auditor.audit.comparison import compare_stored

        return compare_stored(self._read(), run_a, run_b, bbq=self.bbq, target=target).table

    def report(
        self,
        *,
        result=None,
        runs: tuple[str, str] | None = None,
        target: tuple[str, ...] = ("Gender_identity",),
        flips: bool = False,
    ):
        """The report `spillover audit` writes for the audit ``result`` (a candidate's:
        its own file among the candidates) or `spillover compare` for the stored ``runs``:
        subject, format controls, the target on all its items and, with ``flips``, the
        items that flipped (HTML)."""
        from auditor.audit.report import audit_report, audit_subject, runs_report

        store = self._read()
        if result is not None:
            from auditor.audit.profiles import build_profile

            profile = build_profile(result.profile)
            if result.candidate:  # as among its fellows (the last checkpoint's trajectory)
                from auditor.audit.candidate_report import chosen_candidate_report
                from auditor.audit.history import candidate_results

                return chosen_candidate_report(
                    store,
                    result,
                    candidate_results(store, result),
                    profile,
                    bbq=self.bbq or profile.data.bbq or None,
                    flips=flips,
                )
            return audit_report(
                store,
                result,
                audit_subject(result, profile),
                bbq=self.bbq or profile.data.bbq or None,
                flips=flips,
            )[0]
        from auditor.interop.formats import prompt_format_note

        note = prompt_format_note(store, *runs)
        return runs_report(
            store, *runs, bbq=self.bbq, target=target, notes=(note,) if note else (), flips=flips
        )[0]

    def stored_matrix(self, profile: Profile):
        """The spillover matrix of ``profile``'s recipes read back from the store (nothing
        run, no model loaded), with each recipe's AuditResult by audit id; InputError names
        a recipe that has no finished audit."""
        from auditor.audit.matrix import matrix_of, stored_results

        results = stored_results(profile, self._read(), self.bbq)
        return matrix_of(profile, results), {r.audit_id: r for r in results.values()}

    # -- drill-down -----------------------------------------------------------------
    def items(self, run_ids: tuple[str, ...]) -> Mapping:
        """The BBQ items the runs answered (loaded once per set of runs)."""
        key = frozenset(run_ids)
        if key not in self._items:
            from auditor.audit.history import stored_items

            self._items[key] = stored_items(self._read(), run_ids, self.bbq)
        return self._items[key]

    def item_rows(
        self,
        run_a: str,
        run_b: str | None,
        attribute: str | None,
        context: str | None,
        show: str = "all",
        only_ids=None,
    ) -> list:
        from auditor.audit.drilldown import item_rows

        runs = (run_a,) if run_b is None else (run_a, run_b)
        return item_rows(
            self._read(),
            self.items(runs),
            run_a,
            run_b,
            attribute=attribute,
            context=context,
            show=show,
            only_ids=only_ids,
        )

    def train_steps(self, run_id: str) -> list:
        """A stored training run's log as TrainStep events (for a reused alignment)."""
        from auditor.core.events import TrainStep

        rows = self._read().train_log(run_id)
        total = max((r["step"] for r in rows), default=0)
        return [
            TrainStep(
                r["step"],
                total,
                float(r.get("epoch", 0.0)),
                {k: v for k, v in r.items() if k not in ("step", "epoch")},
            )
            for r in rows
        ]

    def resumed_train_log(self, first_step: int) -> list:
        """The stored steps before ``first_step`` of the training run now running: the one
        just resumed from a checkpoint (its log holds step ``first_step - 1``)."""
        store = self._read()
        running = sorted(
            (r for r in store.runs("train") if r.status == "running"),
            key=lambda r: r.updated or "",
            reverse=True,
        )
        for run in running:
            steps = self.train_steps(run.id)
            if any(s.step == first_step - 1 for s in steps):
                return [s for s in steps if s.step < first_step]
        return []

    # -- the audit ------------------------------------------------------------------
    def check(self, profile: Profile) -> Profile:
        """``profile`` once its model and data pass the pre-flight check (a moment: file
        headers and the BBQ files, no weights) and its plan is one the engine runs
        completely (``audit.plan.audit_plan``); InputError otherwise."""
        from auditor.audit.plan import audit_plan
        from auditor.audit.preflight import preflight

        audit_plan(profile)
        preflight(profile, self.bbq)
        return profile

    def run_audit(self, profile: Profile, reporter: Reporter, cancel: CancelToken, **missing):
        """Run or resume the audit of ``profile``: its result, or one per candidate of a
        candidate audit, in order. Raises ``Cancelled`` when cancelled, and
        ``MissingAdapter`` unless ``missing`` says what to do about a missing adapter
        (``retrain_missing=True`` or ``restore_adapter_from=DIR``)."""
        from auditor.models.quiet import quiet_hf

        quiet_hf()
        from auditor.audit.pipeline import run_candidates

        try:
            return run_candidates(
                profile, store=self.store, bbq=self.bbq, reporter=reporter, cancel=cancel, **missing
            )
        finally:
            self._reopen_reader()

    def _reopen_reader(self) -> None:
        """After a write: the next read opens the store afresh (it may be new, or have
        changed journal mode)."""
        with self._lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
