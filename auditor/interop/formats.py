"""Whether two stored runs asked the model the same way: a paired comparison across
prompt formats measures the format as well as the model."""

from __future__ import annotations

from auditor.audit.history import resolve_run_id
from auditor.store.db import Store
from auditor.store.records import RunRecord

IMPORTED_MODES = {"lm-eval": "lm-eval"}


def describe(run: RunRecord) -> str:
    mode = run.mode or "?"
    source = IMPORTED_MODES.get(mode)
    return f"{source} multiple-choice log-likelihood" if source else f"spillover {mode} mode"


def prompt_format_note(store: Store, run_a: str, run_b: str) -> str | None:
    """A one-line warning when an imported run is compared with a run prompted otherwise;
    None when both used the same mode and template (or neither is imported)."""
    a = store.run(resolve_run_id(store, run_a))
    b = store.run(resolve_run_id(store, run_b))
    if not ({a.mode, b.mode} & IMPORTED_MODES.keys()):
        return None
    same_mode = a.mode == b.mode
    templates = {a.template, b.template} - {None}  # unknown: not told apart
    if same_mode and len(templates) <= 1:
        return None
    return (
        f"different prompt formats: {a.id} is {describe(a)}, {b.id} is "
        f"{describe(b)}; the deltas include the change of format"
    )
