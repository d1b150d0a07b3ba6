"""Download the official BBQ files, keeping only what matches its pinned SHA-256."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from auditor.bbq.checksums import COMMIT, OFFICIAL, OfficialFile, locate, sha256_file
from auditor.core.errors import InputError

DEFAULT_BASE_URL = f"https://raw.githubusercontent.com/nyu-mll/BBQ/{COMMIT}"
BASE_URL_ENV = "SPILLOVER_BBQ_BASE_URL"
"""Environment variable that replaces the download base URL (mirrors, tests)."""

FETCHED, SKIPPED, FAILED = "fetched", "skipped", "failed"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What happened to one official file."""

    path: str
    status: str
    detail: str = ""


def base_url(option: str | None = None) -> str:
    """The download base: ``option``, else ``$SPILLOVER_BBQ_BASE_URL``, else GitHub."""
    return (option or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")


def fetch(
    dest: str | Path,
    url: str | None = None,
    *,
    files: Iterable[OfficialFile] = OFFICIAL,
    report: Callable[[FetchResult], None] | None = None,
    timeout: float = 60.0,
) -> list[FetchResult]:
    """Fetch each official file into ``dest`` (``data/`` and ``supplemental/`` layout).

    Files already present and verified are skipped. Each download goes to a temporary
    file in its destination folder and replaces the target only when its SHA-256
    matches; a failed or mismatching download leaves nothing behind.
    """
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{dest}: cannot create folder: {exc.strerror or exc}") from None
    root = base_url(url)
    results = []
    for official in files:
        result = _fetch_one(dest, root, official, timeout)
        results.append(result)
        if report is not None:
            report(result)
    return results


def _fetch_one(dest: Path, root: str, official: OfficialFile, timeout: float) -> FetchResult:
    present = locate(dest, official)
    if present is not None and sha256_file(present) == official.sha256:
        return FetchResult(official.path, SKIPPED, "already verified")
    target = dest / official.path
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(f"{root}/{official.path}", timeout=timeout) as response,
        ):
            while block := response.read(1 << 20):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != official.sha256:
            return FetchResult(
                official.path,
                FAILED,
                f"SHA-256 mismatch (got {digest.hexdigest()[:12]}…); not kept",
            )
        os.replace(tmp, target)
        return FetchResult(official.path, FETCHED, str(target))
    except urllib.error.HTTPError as exc:
        return FetchResult(official.path, FAILED, f"HTTP {exc.code} {exc.reason}")
    except urllib.error.URLError as exc:
        return FetchResult(official.path, FAILED, f"cannot download: {exc.reason}")
    except (OSError, ValueError) as exc:
        return FetchResult(official.path, FAILED, f"cannot download: {exc}")
    finally:
        tmp.unlink(missing_ok=True)
