"""`--output FILE` and `--append-markdown FILE` checked before any work: a file the
command will be able to write.

An existing regular file is fine (an output is replaced atomically at the end, an append
adds to it); a folder, a device or FIFO, a path under a file, or a folder the user cannot
create files in (a read-only mount, ``/proc``) is refused in one line, exit 2, with
nothing written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.core.errors import InputError
from auditor.core.textsafe import visible

if TYPE_CHECKING:
    import click


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


def check_outputs(ctx: click.Context | None, param: object, values: Sequence[str]) -> Sequence[str]:
    """Click callback: every --output value checked before the command runs."""
    for value in values:
        check_output(value)
    _apart(values, ctx.params.get("appends", ()) if ctx is not None else ())
    return values


def check_append(value: str, flag: str = "--append-markdown") -> Path:
    """``value`` as a file the Markdown report can be appended to: an existing regular file
    opened for appending (nothing written), or a new file ``check_output`` would allow."""
    path = check_output(value, flag) if not Path(value).is_file() else Path(value)
    if path.is_file():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            shown = visible(value, one_line=True)
            raise InputError(f"{flag} {shown}: cannot append to it ({reason})") from None
    return path


def check_appends(ctx: click.Context | None, param: object, values: Sequence[str]) -> Sequence[str]:
    """Click callback: every --append-markdown value checked before the command runs; a
    file named twice, or also as an --output, is refused (it would get the report twice)."""
    seen: set[Path] = set()
    for value in values:
        path = check_append(value).resolve()
        if path in seen:
            raise InputError(f"--append-markdown {visible(value, one_line=True)}: named twice")
        seen.add(path)
    _apart(ctx.params.get("outputs", ()) if ctx is not None else (), values)
    return values


def _apart(outputs: Iterable[str], appends: Iterable[str]) -> None:
    """Refuse a file that is both an --output and an --append-markdown (whichever of the
    two options click processes second sees the other in ``ctx.params``)."""
    both = {Path(a).resolve() for a in appends} & {Path(o).resolve() for o in outputs}
    if both:
        shown = visible(next(a for a in appends if Path(a).resolve() in both), one_line=True)
        raise InputError(f"--append-markdown {shown}: also an --output; name it once")
