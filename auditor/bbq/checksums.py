"""The official BBQ files (nyu-mll/BBQ at a pinned commit) and their SHA-256 values."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from auditor.core.errors import DataError

COMMIT = "bea11bd97d79217245b5871acd247b9d6eb24598"
"""The nyu-mll/BBQ commit whose files these checksums pin."""


@dataclass(frozen=True, slots=True)
class OfficialFile:
    """One file of the official release: its path in the repository, rows and SHA-256."""

    path: str
    rows: int
    sha256: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


OFFICIAL: tuple[OfficialFile, ...] = (
    OfficialFile(
        "data/Age.jsonl", 3680, "46e805b3fc2d8cbd26eeb8e8430d98cf7b2dc9c83574ff3674e8ce4f0fca2a60"
    ),
    OfficialFile(
        "data/Disability_status.jsonl",
        1556,
        "375d40d9b71f056150264445ec189b13934998f3f49a1e311aa7578eb3b45e5f",
    ),
    OfficialFile(
        "data/Gender_identity.jsonl",
        5672,
        "8b5adbb368510a97d5775dc43e1c719e0249fe2da33f13c83e3e29edafec7a00",
    ),
    OfficialFile(
        "data/Nationality.jsonl",
        3080,
        "a583e74666aec0341ded8aa3983e7cad694eb24de72c254d28b2df3035720090",
    ),
    OfficialFile(
        "data/Physical_appearance.jsonl",
        1576,
        "e48d7e13508565f4801574e611043470c25c95a0a62af3699cb5ee7cb02608fb",
    ),
    OfficialFile(
        "data/Race_ethnicity.jsonl",
        6880,
        "4a9f1214cfaa115ce7f0bdb40609122e431f5152c71b8ca64d665e483b946ae6",
    ),
    OfficialFile(
        "data/Race_x_SES.jsonl",
        11160,
        "af8e2ae3d0e5be9ebcbfe7149e591d47ff649e263307f4548f7fb12f6a6d83e8",
    ),
    OfficialFile(
        "data/Race_x_gender.jsonl",
        15960,
        "e5dbba782f8c4e25b99dd5470b5136e2db73dbf401cf6d4a5a3ed31b02f95696",
    ),
    OfficialFile(
        "data/Religion.jsonl",
        1200,
        "cb9555f9f3454a52cd2df85956b59bd7fcca5aa922c8527693b1164d08417616",
    ),
    OfficialFile(
        "data/SES.jsonl", 6864, "9f92754bb037b0982604b9112705fb81d60a19d9e759c67e4a85e484a070f528"
    ),
    OfficialFile(
        "data/Sexual_orientation.jsonl",
        864,
        "2c71036b9e7584fe589c42aef32c1a42bc01b9a5e9b1b8704342630cdb08cefd",
    ),
    OfficialFile(
        "supplemental/additional_metadata.csv",
        58492,
        "f36708416b0e7adb81b47ad1926f9c39c2beb611702b73b01e06c9b6c9ffbd3d",
    ),
)

OK, MISMATCH, MISSING = "ok", "mismatch", "missing"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def locate(root: Path, official: OfficialFile) -> Path | None:
    """Where an official file sits under ``root``: its repository path, or flat."""
    for candidate in (root / official.path, root / official.name):
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True, slots=True)
class FileCheck:
    """The verdict on one official file."""

    path: str
    status: str
    found: str | None
    sha256: str | None
    expected: str


def verify(root: str | Path) -> list[FileCheck]:
    """Check every official file under ``root`` (``data/`` layout or flat)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(str(root), None, None, "no such directory")
    out = []
    for official in OFFICIAL:
        found = locate(root, official)
        if found is None:
            out.append(FileCheck(official.path, MISSING, None, None, official.sha256))
            continue
        try:
            actual = sha256_file(found)
        except OSError as exc:
            raise DataError(
                str(found), None, None, f"cannot read file: {exc.strerror or exc}"
            ) from None
        status = OK if actual == official.sha256 else MISMATCH
        out.append(FileCheck(official.path, status, str(found), actual, official.sha256))
    return out
