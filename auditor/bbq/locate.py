"""Where the BBQ data is: ``--bbq DIR``, else ``$SPILLOVER_BBQ``, else the fetched copy."""

from __future__ import annotations

import os
from pathlib import Path

from auditor.core.errors import InputError

BBQ_ENV = "SPILLOVER_BBQ"
DATA_DIR_ENV = "SPILLOVER_DATA_DIR"
NO_DATA = "no BBQ data: pass --bbq DIR, set SPILLOVER_BBQ, or run `spillover data fetch`"


def data_home() -> Path:
    """spillover's data folder: ``$SPILLOVER_DATA_DIR`` or the platform's user data dir."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("spillover"))


def fetched_dir() -> Path:
    """Where `spillover data fetch` puts the official files by default."""
    return data_home() / "bbq"


def has_bbq_files(root: Path) -> bool:
    """Whether ``root`` holds BBQ JSONL files (``data/`` layout or flat)."""
    return root.is_dir() and (any(root.glob("data/*.jsonl")) or any(root.glob("*.jsonl")))


def resolve_bbq_dir(option: str | Path | None = None) -> Path | str:
    """The BBQ source every command uses; ``hf:<id>`` sources come back as strings."""
    for value, origin in ((option, "--bbq"), (os.environ.get(BBQ_ENV), BBQ_ENV)):
        if not value:
            continue
        if str(value).startswith("hf:"):
            return str(value)
        path = Path(value).expanduser()
        if not path.exists():
            raise InputError(f"{origin} {path}: no such file or directory")
        return path
    fetched = fetched_dir()
    if has_bbq_files(fetched):
        return fetched
    raise InputError(NO_DATA)
