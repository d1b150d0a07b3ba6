"""`--output FILE` checked before any work: a file the command will be able to write.

An existing regular file is fine (it is replaced atomically at the end); a folder, a
device or FIFO, a path under a file, or a folder the user cannot create files in
(a read-only mount, ``/proc``) is refused in one line, exit 2, with nothing written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from auditor.core.errors import InputError
from auditor.core.textsafe import visible


def check_output(value: str, flag: str = "--output") -> Path:
    """``value`` as a path the report can be written to, or an InputError saying why not."""
    shown = visible(value, one_line=True)
    if not value.strip():
        raise InputError(f"{flag}: empty path")
    path = Path(value)
    if path.is_dir():
        raise InputError(f"{flag} {shown}: is a folder; name a file")
    if path.exists() and not path.is_file():
        raise InputError(f"{flag} {shown}: not a regular file")
    parent = path.absolute().parent
    folder = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if folder is None or not folder.is_dir():
        raise InputError(f"{flag} {shown}: {visible(folder, one_line=True)} is not a folder")
    _probe(folder, f"{flag} {shown}")
    return path


def _probe(folder: Path, what: str) -> None:
    """Create and remove a file in ``folder``: the one test of writability that holds for
    root, read-only mounts and pseudo file systems alike (``os.access`` does not)."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".spillover-probe-")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(
            f"{what}: cannot write files in {visible(folder, one_line=True)} ({reason})"
        ) from None
    os.close(fd)
    os.unlink(name)


def check_outputs(ctx, param, values):
    """Click callback: every --output value checked before the command runs."""
    for value in values:
        check_output(value)
    return values
