"""Standard streams a reader may close early (``spillover items RUN | head -1``).

When the reader of stdout (or stderr) goes away, a write raises ``BrokenPipeError``.
Python's documented recipe (the ``signal`` module's note on SIGPIPE) is to point the
stream at ``/dev/null`` and exit with the code the program meant; ``guarded_streams``
does that at the write itself, so the command carries on as if the reader were still
there: it writes its files, prints its other stream, and exits with its own code (a gate
keeps 0, 1 or 2) — never a traceback, never click's blanket exit 1.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO


class ClosableStream:
    """A text stream whose writes go to /dev/null once its reader has gone."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.closed_early = False

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._discard()
            return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._discard()

    def _discard(self) -> None:
        """Point the stream's file descriptor at /dev/null; what is buffered goes there."""
        self.closed_early = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def guarded_streams() -> Iterator[None]:
    """While active, sys.stdout and sys.stderr survive their reader closing early; on the
    way out both are flushed (so the interpreter's last flush cannot fail) and restored."""
    saved = sys.stdout, sys.stderr
    guards = [ClosableStream(s) if _has_fd(s) else s for s in saved]
    sys.stdout, sys.stderr = guards
    try:
        yield
    finally:
        for guard in guards:
            with contextlib.suppress(OSError, ValueError):
                guard.flush()
        if (sys.stdout, sys.stderr) == tuple(guards):  # unless someone replaced them since
            sys.stdout, sys.stderr = saved


def _has_fd(stream: TextIO | None) -> bool:
    """Whether ``stream`` writes to a real file descriptor (a pipe, file or terminal)."""
    try:
        return stream is not None and stream.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        return False
