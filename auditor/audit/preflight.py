"""Checks before an audit stores anything or loads a model.

``preflight`` (in ``selection``): every setting, the model source (and adapter) and the BBQ
data, read from file headers and the data files only, so a bad ``--model`` or ``--bbq``
fails in a moment and leaves no audit behind.

``missing_adapter`` / ``restore_adapter``: a store moved without its ``audits/`` folder
still records a finished training run, but its adapter is gone. The audit never trains
again silently: it raises ``MissingAdapter`` until the caller chooses to retrain or
points to the adapter, which is copied back into the audit's folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from auditor.align.run_folder import RunFolder
from auditor.audit.selection import preflight
from auditor.core.errors import InputError
from auditor.store.db import Store

RETRAIN_FLAG = "--retrain-missing"
RESTORE_FLAG = "--restore-adapter"
__all__ = ["MissingAdapter", "missing_adapter", "preflight", "restore_adapter"]


class MissingAdapter(InputError):
    """The audit's finished training run has no adapter where the audit looks for it."""

    def __init__(self, audit_id: str, run_id: str, expected: Path, recorded: str | None):
        self.audit_id, self.run_id = audit_id, run_id
        self.expected, self.recorded = Path(expected), recorded
        was = f" (recorded at {recorded})" if recorded and recorded != str(expected) else ""
        super().__init__(
            f"audit {audit_id}: the adapter of its finished training run {run_id} is missing "
            f"from {expected}{was}; move it back, pass {RESTORE_FLAG} DIR to copy it from "
            f"where it is, or {RETRAIN_FLAG} to train it again"
        )


def missing_adapter(store: Store, audit_id: str, audit_dir: Path) -> MissingAdapter | None:
    """The problem, when one of the audit's stored training runs is done but the folder
    the audit reuses it from (``alignment/`` in ``audit_dir``, or ``alignment-seed<N>/``
    per seed replicate) holds no finished adapter; None when nothing is missing."""
    audit = store.audit(audit_id)
    replicates = audit.outcome.replicates
    trained = (
        [
            (e.get("train_run"), audit_dir / f"alignment-seed{seed}")
            for seed, e in sorted(replicates.items())
        ]
        if replicates
        else [(audit.train_run, audit_dir / "alignment")]
    )
    for run_id, alignment_dir in trained:
        if not run_id:
            continue
        run = store.run(run_id)
        folder = RunFolder(alignment_dir)
        if run.status != "done" or (folder.record() is not None and folder.adapter.is_dir()):
            continue
        return MissingAdapter(audit_id, run_id, folder.adapter, run.record.get("adapter_dir"))
    return None


def restore_adapter(store: Store, problem: MissingAdapter, source: str | Path) -> Path:
    """Copy the adapter at ``source`` (its folder, or the alignment folder holding it) to
    where the audit expects it, with the run's record, so the audit reuses it; the stored
    run then names the new place. Returns the adapter's new folder."""
    from auditor.models.loading import check_adapter_folder

    source = Path(source).expanduser()
    if (source / "adapter").is_dir() and not (source / "adapter_config.json").is_file():
        source = source / "adapter"
    check_adapter_folder(source)
    record = dict(store.run(problem.run_id).record)
    key = record.get("key")
    if not key:
        raise InputError(
            f"training run {problem.run_id}: its stored record has no run key, so "
            f"{source} cannot be matched to it; pass {RETRAIN_FLAG}"
        )
    beside = RunFolder(source.parent).record()  # the alignment folder it came from, if any
    if beside and beside.get("key") not in (None, key):
        raise InputError(
            f"adapter {source}: {source.parent / 'align.json'} names another "
            f"training run than {problem.run_id}; point to that run's adapter"
        )
    folder = RunFolder(problem.expected.parent)
    folder.root.mkdir(parents=True, exist_ok=True)
    folder.publish(folder.adapter, lambda tmp: shutil.copytree(source, tmp))
    record["adapter_dir"] = str(folder.adapter)
    folder.write_record(record)
    store.update_run(problem.run_id, record={"adapter_dir": str(folder.adapter)})
    return folder.adapter
