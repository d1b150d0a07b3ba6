"""The BBQ data layer: load, validate, derive option roles, sample, verify and fetch."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from auditor.bbq.loader import BBQData, load_folder
from auditor.bbq.locate import resolve_bbq_dir
from auditor.bbq.sampling import sample

__all__ = ["BBQData", "load_bbq", "resolve_bbq_dir", "sample"]

HF_PREFIX = "hf:"


def load_bbq(path: str | Path, attributes: Iterable[str] | None = None) -> BBQData:
    """Load BBQ items from ``path``.

    ``path`` is a folder of BBQ JSONL files (``DIR/data/*.jsonl`` or ``DIR/*.jsonl``,
    with an optional ``additional_metadata.csv``), a single JSONL file, a dataset folder
    written by ``datasets``' ``save_to_disk``, or ``hf:<hub id>[#config]``.
    ``attributes`` selects categories; None means the nine audited attributes (the
    intersectional ones load only when named). Bad data raises `DataError`.
    """
    text = str(path)
    if text.startswith(HF_PREFIX):
        from auditor.bbq.hub import load_hf

        return load_hf(text[len(HF_PREFIX) :], attributes=attributes)
    root = Path(path)
    if root.is_dir() and _is_saved_dataset(root):
        from auditor.bbq.hub import load_hf

        return load_hf(str(root), attributes=attributes)
    return load_folder(root, attributes)


def _is_saved_dataset(root: Path) -> bool:
    return any((root / n).is_file() for n in ("dataset_dict.json", "state.json"))
