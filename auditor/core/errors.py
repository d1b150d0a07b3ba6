"""Errors the CLI turns into one-line messages and exit codes."""

from __future__ import annotations


def first_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of an error's message (its type's name where it has none), cut to
    ``limit`` characters: what a one-line message or a stored record says of it."""
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:limit]


def described(exc: BaseException, limit: int = 300) -> str:
    """``Type: first line`` of an error; its type's name alone where it has no message."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:limit]}" if lines else type(exc).__name__


class SpilloverError(Exception):
    """A user-facing failure: the message is one line saying what and where."""

    exit_code = 3


class TrainingDiverged(SpilloverError):
    """Training produced a non-finite loss or gradient: stopped, nothing published."""


class InputError(SpilloverError):
    """Bad input (file, flag, profile, data): exit code 2."""

    exit_code = 2


class DataError(InputError):
    """Malformed BBQ data: names file, line and field."""

    def __init__(self, path: str, line: int | None, field: str | None, problem: str):
        self.path, self.line, self.field, self.problem = str(path), line, field, problem
        where = self.path + (f":{line}" if line is not None else "")
        what = f" field '{field}':" if field else ""
        super().__init__(f"{where}:{what} {problem}")
