"""Load BBQ from a folder of JSONL files (official ``data/`` layout or flat)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from auditor.bbq.metadata import find_metadata, parse_target_locs
from auditor.bbq.records import check_encodable, parse_record
from auditor.core.errors import DataError, InputError
from auditor.core.items import ATTRIBUTES, CATEGORIES, Item


@dataclass(frozen=True)
class BBQData:
    """Loaded BBQ items and where they came from.

    ``checksum`` is the SHA-256 over the files' bytes in sorted-name order (for a
    Hugging Face dataset: over its records as canonical JSON), so a run can record
    which data it used. ``exceptions`` lists the ids of items whose biased option could
    not be determined (their ``roles`` is None); they are kept, never dropped.
    """

    items: tuple[Item, ...]
    source: str
    checksum: str
    exceptions: tuple[str, ...] = ()

    def by_id(self) -> dict[str, Item]:
        """Items keyed by their global id."""
        return {item.id: item for item in self.items}

    @property
    def attributes(self) -> tuple[str, ...]:
        """The attributes present, in the canonical order."""
        present = {item.attribute for item in self.items}
        return tuple(c for c in CATEGORIES if c in present)


def wanted_attributes(attributes: Iterable[str] | None) -> tuple[str, ...]:
    """Validate an attribute selection; None means the nine audited attributes."""
    if attributes is None:
        return ATTRIBUTES
    chosen = tuple(dict.fromkeys(attributes))
    for name in chosen:
        if name not in CATEGORIES:
            raise InputError(f"unknown attribute {name!r}: expected one of {', '.join(CATEGORIES)}")
    return chosen


def data_files(root: Path) -> list[Path]:
    """The JSONL files of a BBQ folder: ``root/data/*.jsonl`` or ``root/*.jsonl``.

    A folder with files in both places is refused: whether they are two copies of the
    data, two versions, or parts of one set cannot be told, and reading either alone
    would silently drop the other.
    """
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise DataError(
            str(root), None, None, "no such directory: pass a folder of BBQ .jsonl files"
        )
    nested = root / "data"
    try:
        inside = sorted(nested.glob("*.jsonl")) if nested.is_dir() else []
        top = sorted(root.glob("*.jsonl"))
    except OSError as exc:
        raise DataError(
            str(root), None, None, f"cannot list folder: {exc.strerror or exc}"
        ) from None
    if inside and top:
        raise DataError(
            str(root),
            None,
            None,
            f"BBQ .jsonl files both in data/ ({len(inside)}, e.g. {inside[0].name}) "
            f"and beside it ({len(top)}, e.g. {top[0].name}): which to read is "
            "ambiguous; keep them in one place, or pass --bbq of the one to read",
        )
    files = inside or top
    for path in files:
        if not path.is_file():  # a FIFO or device would block or never end
            raise DataError(str(path), None, None, "not a regular file; refused")
    if not files:
        raise DataError(
            str(root),
            None,
            None,
            "no BBQ .jsonl files here (expected DIR/data/*.jsonl or DIR/*.jsonl)",
        )
    return files


MAX_FILE_BYTES = 1 << 30
"""Largest BBQ file read (the biggest official file is 16 MB)."""
MAX_LINE_CHARS = 1 << 20
"""Longest JSONL line accepted (official rows are under 4 KB)."""


def read_bytes(path: Path) -> bytes:
    try:
        if not path.is_file():
            raise DataError(str(path), None, None, "not a regular file; refused")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DataError(
                str(path), None, None, f"file larger than {MAX_FILE_BYTES >> 20} MB; refused"
            )
        return path.read_bytes()
    except OSError as exc:
        raise DataError(str(path), None, None, f"cannot read file: {exc.strerror or exc}") from None


def decode(raw: bytes, path: Path) -> str:
    """UTF-8 text of a file; a decoding error names its line."""
    try:
        return raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(str(path), line, None, "not UTF-8 text") from None


def load_folder(root: str | Path, attributes: Iterable[str] | None = None) -> BBQData:
    """Load and validate every BBQ JSONL file in ``root`` (one bad row: `DataError`).

    The files are read and hashed on every call; bytes already parsed in this process
    (the same files, names, lengths and attributes) give the items parsed then, without parsing
    again (see `_parsed`). A failed load is never remembered.
    """
    root = Path(root)
    wanted = set(wanted_attributes(attributes))
    files = [f for f in data_files(root) if f.stem not in CATEGORIES or f.stem in wanted]
    meta_path = None if root.is_file() else find_metadata(root)
    blobs = {f: read_bytes(f) for f in files}
    if meta_path is not None:
        blobs[meta_path] = read_bytes(meta_path)

    digest = hashlib.sha256()
    for path in sorted(blobs, key=lambda p: (p.name, str(p))):
        digest.update(blobs[path])
    checksum = digest.hexdigest()

    # the checksum, with each file's name and length, pins every file's bytes
    key: _Key = (checksum, tuple((p.name, len(b)) for p, b in blobs.items()), tuple(sorted(wanted)))
    known = _parsed.get(key)
    if known is not None:
        return replace(known, source=str(root))
    target_locs: dict[tuple[str, int], int | None] = {}
    if meta_path is not None:
        target_locs = parse_target_locs(decode(blobs[meta_path], meta_path), str(meta_path))
    items: list[Item] = []
    seen: dict[str, str] = {}
    for path in files:
        items.extend(_parse_file(path, decode(blobs[path], path), wanted, target_locs, seen))
    data = BBQData(
        items=tuple(items),
        source=str(root),
        checksum=checksum,
        exceptions=tuple(i.id for i in items if i.roles is None),
    )
    _parsed.put(key, data)
    return data


_Key = tuple[str, tuple[tuple[str, int], ...], tuple[str, ...]]
"""What a load read: the SHA-256 of its bytes, each file's name and length in reading
order, and the attributes asked."""


class _Parsed:
    """The last few successful loads, keyed by what they read (`_Key`). Parsing
    BBQ-lite takes about 0.5 s, and an audit, the app or a test process loads one folder
    many times. Items are frozen, so callers share them."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self.entries: OrderedDict[_Key, BBQData] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: _Key) -> BBQData | None:
        with self.lock:
            data = self.entries.get(key)
            if data is not None:
                self.entries.move_to_end(key)
            return data

    def put(self, key: _Key, data: BBQData) -> None:
        with self.lock:
            self.entries[key] = data
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_parsed = _Parsed()


def _parse_file(
    path: Path,
    text: str,
    wanted: set[str],
    target_locs: dict[tuple[str, int], int | None],
    seen: dict[str, str],
) -> list[Item]:
    name = str(path)
    items: list[Item] = []
    rows = 0
    for line, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        rows += 1
        if len(raw) > MAX_LINE_CHARS:
            raise DataError(
                name, line, None, f"line longer than {MAX_LINE_CHARS:,} characters; refused"
            )
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataError(
                name, line, None, f"invalid JSON: {exc.msg} at column {exc.colno}"
            ) from None
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number, deep nesting
            problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:80]
            raise DataError(name, line, None, f"invalid JSON: {problem}") from None
        if "\\u" in raw:
            check_encodable(row, name, line)
        target = None
        if target_locs and isinstance(row, dict) and isinstance(row.get("example_id"), int):
            target = target_locs.get((str(row.get("category")), row["example_id"]))
        item = parse_record(row, name, line, target_loc=target)
        if item.id in seen:
            raise DataError(
                name, line, "example_id", f"duplicate id {item.id} (first at {seen[item.id]})"
            )
        seen[item.id] = f"{name}:{line}"
        if item.attribute in wanted:
            items.append(item)
    if rows == 0:
        raise DataError(name, None, None, "empty file: no BBQ records")
    return items
