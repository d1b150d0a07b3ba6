"""A stream whose reader has gone: writes go to /dev/null instead of raising."""

from __future__ import annotations

import io
import os

import pytest

from auditor.cli.pipes import ClosableStream


def test_writes_after_the_reader_closed_go_to_devnull():
    read, write = os.pipe()
    stream = io.TextIOWrapper(io.BufferedWriter(io.FileIO(write, "w")), encoding="utf-8")
    guarded = ClosableStream(stream)
    guarded.write("first line\n")
    guarded.flush()
    assert os.read(read, 100) == b"first line\n" and not guarded.closed_early
    os.close(read)
    assert guarded.write("x" * 100_000) == 100_000  # would raise BrokenPipeError
    guarded.flush()
    assert guarded.closed_early
    assert os.path.samestat(os.fstat(stream.fileno()), os.stat(os.devnull))
    guarded.write("more\n")
    guarded.flush()
    stream.close()


def test_other_errors_are_not_swallowed():
    """click tells text streams from binary ones by the TypeError of ``write(b"")``."""
    guarded = ClosableStream(io.StringIO())
    with pytest.raises(TypeError):
        guarded.write(b"")
    assert not guarded.closed_early
