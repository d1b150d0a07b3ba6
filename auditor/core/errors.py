"""Errors the CLI turns into one-line messages and exit codes."""

from __future__ import annotations


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
