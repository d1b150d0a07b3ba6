"""Load BBQ through Hugging Face ``datasets``: a hub id, a builder such as ``json``, or a
folder written by ``save_to_disk``. Records must use BBQ's own layout."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from auditor.bbq.loader import BBQData, wanted_attributes
from auditor.bbq.records import parse_record
from auditor.core.errors import DataError, InputError, first_line
from auditor.core.items import Item


class _Rows(Protocol):
    """What is read of a ``datasets.Dataset`` (the package ships no type information)."""

    def to_list(self) -> list[dict[str, Any]]: ...


def load_hf(
    source: str,
    *,
    name: str | None = None,
    split: str | None = None,
    data_files: str | Sequence[str] | None = None,
    revision: str | None = None,
    cache_dir: str | None = None,
    attributes: Iterable[str] | None = None,
) -> BBQData:
    """Load BBQ records with ``datasets``; all splits when ``split`` is None.

    ``source`` is a ``save_to_disk`` folder (read with ``load_from_disk``) or anything
    ``load_dataset`` accepts (hub id, local dataset folder, ``"json"`` with
    ``data_files``). ``source`` may end in ``#config`` to pick a configuration;
    ``cache_dir`` is passed to ``load_dataset``.
    Columns beyond BBQ's are ignored; a bad record raises `DataError` naming its row.
    """
    if name is None and "#" in source:
        source, name = source.split("#", 1)
    wanted = set(wanted_attributes(attributes))
    splits = _open(source, name, split, data_files, revision, cache_dir)
    digest = hashlib.sha256()
    items: list[Item] = []
    seen: set[str] = set()
    for split_name, dataset in splits:
        where = f"{source}[{split_name}]"
        for row_no, row in enumerate(dataset.to_list(), start=1):
            digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode())
            digest.update(b"\n")
            item = parse_record(row, where, row_no, strict=False)
            if item.id in seen:
                raise DataError(where, row_no, "example_id", f"duplicate id {item.id}")
            seen.add(item.id)
            if item.attribute in wanted:
                items.append(item)
    if not seen:
        raise DataError(source, None, None, "empty dataset: no BBQ records")
    return BBQData(
        items=tuple(items),
        source=f"hf:{source}" + (f"#{name}" if name else ""),
        checksum=digest.hexdigest(),
        exceptions=tuple(i.id for i in items if i.roles is None),
    )


def _open(
    source: str,
    name: str | None,
    split: str | None,
    data_files: str | Sequence[str] | None,
    revision: str | None,
    cache_dir: str | None,
) -> list[tuple[str, _Rows]]:
    import datasets

    try:
        if Path(source).is_dir() and _saved(Path(source)):
            loaded = datasets.load_from_disk(source)
        else:
            loaded = datasets.load_dataset(
                source,
                name,
                split=split,
                data_files=data_files,
                revision=revision,
                cache_dir=cache_dir,
            )
    except Exception as exc:  # datasets raises many types; the user needs one line
        raise InputError(
            f"cannot load Hugging Face dataset {source!r}: {first_line(exc)}"
        ) from None
    if isinstance(loaded, datasets.DatasetDict):
        if split is not None:
            if split not in loaded:
                raise InputError(
                    f"dataset {source!r} has no split {split!r} (it has {', '.join(loaded)})"
                )
            return [(split, loaded[split])]
        return [(k, loaded[k]) for k in sorted(loaded)]
    if isinstance(loaded, datasets.Dataset):
        return [(split or "all", loaded)]
    raise InputError(f"{source!r} is a streaming dataset; load it without streaming")


def _saved(root: Path) -> bool:
    return any((root / n).is_file() for n in ("dataset_dict.json", "state.json"))
