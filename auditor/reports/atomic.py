"""Report files replaced atomically: a temporary file in the same folder, then
``os.replace``, so a reader sees the old file or the new one, never half of one; the new
file gets the mode the umask gives (as ``open`` would), not ``mkstemp``'s 0600."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def umask_mode() -> int:
    """The mode a new file gets from ``open``: 0o666 less the process umask."""
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write; on success it replaces ``path``
    atomically, on any failure (or interrupt) it is removed and ``path`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        os.fchmod(fd, umask_mode())
        os.close(fd)
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically; returns ``path``."""
    with replacing(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    return Path(path)


def append_text(path: str | Path, text: str) -> Path:
    """Append ``text`` (UTF-8) to ``path``, creating it (umask's mode) and never truncating
    it: one ``O_APPEND`` write of the whole text under an exclusive ``flock``, so reports
    appended by concurrent jobs never interleave. A blank line is put first when the file
    does not already end with one, so the text starts its own Markdown block."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, umask_mode())
    try:
        _lock(fd)
        data = (_separator(path) + text).encode("utf-8")
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)  # closing the file releases the lock
    return path


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: O_APPEND alone
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _separator(path: Path) -> str:
    """What keeps appended Markdown apart from the file's last bytes: nothing for an empty
    file or one ending in a blank line, else one or two newlines."""
    with open(path, "rb") as existing:
        size = existing.seek(0, os.SEEK_END)
        existing.seek(max(0, size - 2))
        tail = existing.read()
    if size == 0 or tail.endswith(b"\n\n") or tail == b"\n":
        return ""
    return "\n" if tail.endswith(b"\n") else "\n\n"
