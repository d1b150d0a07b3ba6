"""The output folder of an alignment run: checkpoints, the published adapter, the DONE record.

Layout of ``out_dir``::

    checkpoints/KEY           the run key the checkpoints belong to
    checkpoints/checkpoint-N  trainer checkpoints (complete once trainer_state.json parses)
    steps/step-N              a checkpoint's adapter alone, kept for a trajectory
    adapter/                  the finished LoRA adapter (published by rename)
    merged/                   the merged model, when asked (published by rename)
    align.json                the run record, written last: its presence means done

A folder is written under a ``.partial`` name and renamed into place, so a crash never
leaves a half-written adapter under the final name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from auditor.core.errors import InputError

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
_STEP = re.compile(r"^step-(\d+)$")
ADAPTER_FILES = ("adapter_config.json", "adapter_model.")  # what peft saves of a LoRA
RECORD = "align.json"


class RunFolder:
    """Paths and atomic writes inside one alignment output folder."""

    def __init__(self, out_dir: str | os.PathLike):
        self.root = Path(out_dir).expanduser()
        self.checkpoints = self.root / "checkpoints"
        self.adapter = self.root / "adapter"
        self.merged = self.root / "merged"
        self.steps = self.root / "steps"
        self.record_file = self.root / RECORD

    def claim(self, key: str) -> None:
        """Make the folder ours for ``key``; refuse one holding another run's work.

        A folder whose run never got as far as a checkpoint (say it failed on its
        settings) holds no work, so a different key takes it over.
        """
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"--out {self.root}: exists and is not a folder")
        key_file = self.checkpoints / "KEY"
        record = self.record()
        other = record.get("key") if record else None
        if other is None and key_file.is_file():
            other = key_file.read_text().strip() if self._holds_work() else key
        if other is not None and other != key:
            raise InputError(
                f"--out {self.root}: holds a different alignment run (key {other[:12]}); "
                "choose another folder or delete it"
            )
        if other is None and self.root.is_dir() and any(self.root.iterdir()):
            raise InputError(f"--out {self.root}: not empty and not an alignment folder")
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        tmp = key_file.with_name("KEY.partial")
        tmp.write_text(key + "\n")
        os.replace(tmp, key_file)

    def _holds_work(self) -> bool:
        """Whether anything worth keeping is here: a complete checkpoint, an adapter, a record."""
        if self.adapter.exists() or self.record_file.exists():
            return True
        return any(_complete(path) for _, path in self._checkpoint_dirs())

    def record(self) -> dict | None:
        """The finished run's record, or None while the run is not done."""
        try:
            return json.loads(self.record_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def write_record(self, record: dict) -> None:
        tmp = self.record_file.with_name(RECORD + ".partial")
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, self.record_file)

    def last_checkpoint(self, seals: dict | None = None) -> Path | None:
        """The newest complete checkpoint; incomplete newer ones (a killed save) are deleted.

        With ``seals`` (checkpoint name → file hashes, recorded by ``seal`` when spillover
        wrote it) a checkpoint must also match its seal: an unsealed one is a save cut short
        and is deleted; one whose files changed since is refused (its optimizer state is a
        pickle, loaded only from files spillover wrote).
        """
        for _, path in reversed(self._checkpoint_dirs()):
            if _complete(path) and (seals is None or path.name in seals):
                if seals is not None:
                    check_seal(path, seals[path.name])
                return path
            shutil.rmtree(path, ignore_errors=True)
        return None

    def _checkpoint_dirs(self) -> list[tuple[int, Path]]:
        if not self.checkpoints.is_dir():
            return []
        return sorted(
            (int(m.group(1)), p)
            for p in self.checkpoints.iterdir()
            if p.is_dir() and (m := _CHECKPOINT.match(p.name))
        )

    def publish(self, final: Path, write, here=None) -> Path:
        """Call ``write(tmp)`` then rename ``tmp`` to ``final`` (replacing an old one).

        Under a launcher (``here``, a ``World``) every rank calls ``write`` (a sharded model
        is saved by all of them together) and rank 0 alone clears and renames.
        """
        from auditor.models.distributed import barrier

        main = here is None or here.is_main
        tmp = final.with_name(final.name + ".partial")
        if main:
            shutil.rmtree(tmp, ignore_errors=True)
        if here is not None:
            barrier(here)
        write(tmp)
        if here is not None:
            barrier(here)
        if main:
            if final.exists():
                shutil.rmtree(final)
            os.rename(tmp, final)
        if here is not None:
            barrier(here)
        return final

    def keep_step_adapters(self) -> dict[int, Path]:
        """Copy each complete checkpoint's adapter files (not its optimizer state) into
        ``steps/step-N``, published by rename; the steps kept, by step."""
        for step, path in self._checkpoint_dirs():
            final = self.steps / f"step-{step}"
            files = [p for p in path.iterdir() if p.is_file() and p.name.startswith(ADAPTER_FILES)]
            if final.is_dir() or not _complete(path) or not files:
                continue
            final.parent.mkdir(parents=True, exist_ok=True)

            def write(tmp: Path, files=files) -> None:
                tmp.mkdir()
                for file in files:
                    shutil.copy2(file, tmp / file.name)

            self.publish(final, write)
        return self.step_adapters()

    def step_adapters(self) -> dict[int, Path]:
        """The kept checkpoint adapters (``steps/step-N``), by step."""
        if not self.steps.is_dir():
            return {}
        return dict(
            sorted(
                (int(m.group(1)), p)
                for p in self.steps.iterdir()
                if p.is_dir() and (m := _STEP.match(p.name))
            )
        )

    def adopt(self, source: RunFolder, key: str) -> dict | None:
        """Copy a finished run of ``key`` from another folder (its adapter, kept step
        adapters and record, each published by rename, the record last); the record, or
        None where ``source`` holds no finished run of that key."""
        found = source.record()
        if (
            source.root.resolve() == self.root.resolve()
            or found is None
            or found.get("key") != key
            or not source.adapter.is_dir()
        ):
            return None
        for name, path in (("adapter", source.adapter), *(
            (f"steps/{p.name}", p) for p in source.step_adapters().values()
        )):  # fmt: skip
            final = self.root / name
            final.parent.mkdir(parents=True, exist_ok=True)
            self.publish(final, lambda tmp, path=path: shutil.copytree(path, tmp))
        record = {**found, "adapter_dir": str(self.adapter), "copied_from": str(source.root)}
        self.write_record(record)
        return record

    def drop_checkpoints(self) -> None:
        """Remove trainer checkpoints once the adapter is published (they hold optimizer state)."""
        for path in self.checkpoints.glob("checkpoint-*"):
            shutil.rmtree(path, ignore_errors=True)


def seal(checkpoint: Path) -> dict[str, str]:
    """SHA-256 of every file of a checkpoint folder, by relative path."""
    import hashlib

    out = {}
    for file in sorted(p for p in checkpoint.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with file.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        out[file.relative_to(checkpoint).as_posix()] = digest.hexdigest()
    return out


def check_seal(checkpoint: Path, expected: dict[str, str]) -> None:
    """Raise InputError unless ``checkpoint`` holds exactly the files it was sealed with."""
    found = seal(checkpoint)
    for name in sorted(expected.keys() | found.keys()):
        if expected.get(name) != found.get(name):
            what = (
                "missing" if name not in found else "added" if name not in expected else "modified"
            )
            raise InputError(
                f"checkpoint {checkpoint}: file '{name}' was {what} after "
                "spillover wrote it; refusing to load it (delete the folder to "
                "train from the start)"
            )


def _complete(checkpoint: Path) -> bool:
    """A checkpoint is complete once its trainer_state.json (written last, not atomically) parses."""
    try:
        state = json.loads((checkpoint / "trainer_state.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(state, dict) and "global_step" in state
