"""Load a causal language model (plus an optional LoRA adapter) for scoring or training.

``ModelSpec`` says what to load; ``load_model`` resolves the source (see ``sources``),
picks device and dtype, and returns a ``LoadedModel`` whose ``info`` records the resolved
path and fingerprints, so runs can say exactly which weights produced them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.core.errors import InputError, first_line
from auditor.models.sources import BUNDLED_ALIASES, fingerprint, resolve_source, safetensors_header

DTYPES = {
    "float32": "float32",
    "fp32": "float32",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "float16": "float16",
    "fp16": "float16",
}


@dataclass(frozen=True)
class ModelSpec:
    """What to load: a source (folder, hub id, .gguf, bundled name) and an optional adapter."""

    source: str
    adapter: str | None = None
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    dtype: str = "auto"  # auto | float32 | bfloat16 | float16
    trust_remote_code: bool = False
    allow_pickle: bool = False  # load .bin/.pt weights too (pickles can run code)

    def folder(self, reporter=None) -> Path:
        """The local Hugging Face folder of ``source`` (checked, converted or fetched)."""
        return resolve_source(
            self.source,
            reporter,
            trust_remote_code=self.trust_remote_code,
            allow_pickle=self.allow_pickle,
        )


@dataclass
class LoadedModel:
    """A model ready to use, with its tokenizer and what was resolved to load it."""

    model: Any
    tokenizer: Any
    device: str
    dtype: str
    info: dict = field(default_factory=dict)


def resolve_device(device: str = "auto") -> str:
    """'auto' -> 'cuda' when available, else 'cpu'; anything else is checked and returned."""
    import torch

    from auditor.models.distributed import rank_device, shown_by_node

    if device == "auto":
        return rank_device("cuda") if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        device = rank_device(device)  # under a launcher: this rank's GPU
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise shown_by_node(
            InputError(f"device {device}: CUDA is not available here; use --device cpu")
        )
    count = torch.cuda.device_count() if device.startswith("cuda:") else 0
    if device[5:].isdigit() and int(device[5:]) >= count:
        raise InputError(
            f"device {device}: this machine has {count} GPU(s); under a launcher "
            "each rank takes one, so launch at most that many ranks a machine"
        )
    if device == "mps" and not torch.backends.mps.is_available():
        raise InputError("device mps: not available here; use --device cpu")
    if device.split(":")[0] not in ("cpu", "cuda", "mps"):
        raise InputError(f"device {device}: expected auto, cpu, cuda, cuda:N or mps")
    return device


def resolve_dtype(dtype: str, device: str) -> str:
    """'auto' -> bfloat16 on CUDA, float32 elsewhere; aliases (bf16, fp32...) normalised."""
    if dtype == "auto":
        return "bfloat16" if device.startswith("cuda") else "float32"
    if dtype not in DTYPES:
        raise InputError(f"dtype {dtype}: expected auto, float32, bfloat16 or float16")
    return DTYPES[dtype]


def load_tokenizer(spec: ModelSpec | str | Path, *, path: Path | None = None):
    """The tokenizer of ``spec`` (or of a folder), with a pad token set (eos if missing)."""
    from transformers import AutoTokenizer

    if isinstance(spec, ModelSpec):
        folder = path or spec.folder()
        trust = spec.trust_remote_code
    else:
        folder, trust = path or resolve_source(str(spec)), False
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=trust)
    except Exception as exc:
        raise InputError(f"model {folder}: cannot load the tokenizer ({first_line(exc)})") from exc
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(spec: ModelSpec, *, for_training: bool = False, reporter=None) -> LoadedModel:
    """Load ``spec`` on its device and dtype; merge the adapter unless ``for_training``.

    ``reporter`` (optional) hears a Message before a one-time conversion or download.
    """
    import torch
    from transformers import AutoModelForCausalLM

    from auditor.models.distributed import sharded_launch

    # the cheap checks first: before any conversion, download or weights
    device = resolve_device(spec.device)
    dtype = resolve_dtype(spec.dtype, device)
    if spec.adapter:
        check_adapter_folder(Path(spec.adapter).expanduser())
    path = spec.folder(reporter)
    tokenizer = load_tokenizer(spec, path=path)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            path,
            dtype=getattr(torch, dtype),
            use_safetensors=None if spec.allow_pickle else True,
            trust_remote_code=spec.trust_remote_code,
            # straight onto the GPU, unless FSDP/ZeRO-3 is to shard it for training
            device_map=None if device == "cpu" or (for_training and sharded_launch()) else device,
        )
    except ValueError as exc:
        if "trust_remote_code" in str(exc) and not spec.trust_remote_code:
            raise InputError(
                f"model {spec.source}: needs custom code; pass --trust-remote-code if you trust it"
            ) from exc
        raise InputError(f"model {spec.source}: cannot load ({first_line(exc)})") from exc
    except Exception as exc:  # OSError, SafetensorError, corrupt or truncated weights
        raise InputError(f"model {spec.source}: cannot load weights ({first_line(exc)})") from exc
    info = {
        "source": spec.source,
        "path": str(path),
        "fingerprint": fingerprint(path),
        "architecture": type(model).__name__,
        "parameters": sum(p.numel() for p in model.parameters()),
        "adapter": None,
        "adapter_fingerprint": None,
    }
    if spec.adapter:
        model = attach_adapter(model, spec, path, trainable=for_training)
        info["adapter"] = str(Path(spec.adapter).resolve())
        info["adapter_fingerprint"] = fingerprint(Path(spec.adapter))
    module: torch.nn.Module = model  # PreTrainedModel.to's @wraps hides its self from mypy
    module.to(device)
    model.train(for_training)
    if not for_training:
        model.requires_grad_(False)
    info.update(device=device, dtype=dtype)
    return LoadedModel(model=model, tokenizer=tokenizer, device=device, dtype=dtype, info=info)


def attach_adapter(model, spec: ModelSpec, base_path: Path, *, trainable: bool):
    """Put the LoRA adapter of ``spec`` on ``model``; merged for inference unless trainable."""
    if not spec.adapter:
        raise ValueError(f"model {spec.source}: no adapter to attach")
    adapter = Path(spec.adapter).expanduser()
    base = check_adapter_folder(adapter)
    if base and not same_base(base, spec.source, base_path, model):
        raise InputError(
            f"adapter {adapter}: made for base model '{base}', not '{spec.source}'; "
            "pass that model with --model"
        )
    import warnings

    from peft import PeftModel

    try:
        with warnings.catch_warnings():  # peft calls a deprecated transformers property
            warnings.filterwarnings("ignore", category=FutureWarning)
            peft_model = PeftModel.from_pretrained(model, adapter, is_trainable=trainable)
    except (RuntimeError, ValueError, KeyError) as exc:
        raise InputError(
            f"adapter {adapter}: does not fit model '{spec.source}' (made for another "
            f"architecture or size: {first_line(exc, 160)})"
        ) from exc
    return peft_model if trainable else peft_model.merge_and_unload()


def check_adapter_folder(adapter: Path) -> str | None:
    """Check a PEFT adapter folder is complete and loadable safely; its recorded base."""
    config_file = adapter / "adapter_config.json"
    if not adapter.is_dir():
        raise InputError(f"adapter {adapter}: no such folder")
    if not config_file.is_file():
        raise InputError(f"adapter {adapter}: no adapter_config.json; expected a PEFT folder")
    if not (adapter / "adapter_model.safetensors").is_file():
        raise InputError(f"adapter {adapter}: no adapter_model.safetensors (only .bin is unsafe)")
    safetensors_header(adapter / "adapter_model.safetensors")  # a corrupt file: exit 2
    try:
        return json.loads(config_file.read_text()).get("base_model_name_or_path")
    except (OSError, ValueError, AttributeError) as exc:
        raise InputError(f"{config_file}: not a readable adapter config ({exc})") from exc


def same_base(base: str, source: str, base_path: Path, model) -> bool:
    """Whether an adapter's recorded base names the model being loaded (by name or path)."""
    names = {source, str(base_path), str(getattr(model.config, "_name_or_path", "") or "")}
    names.update(BUNDLED_ALIASES.get(source, ()))
    if (base_path / "spillover_source.json").is_file():  # converted bundled/GGUF model
        for short, aliases in BUNDLED_ALIASES.items():
            if base_path.name.startswith(short + "-"):
                names.update((short, *aliases))
    keys = {_norm(n) for n in names if n}
    recorded = {_norm(base)}
    for short, aliases in BUNDLED_ALIASES.items():  # a converted copy made on another machine
        if re.fullmatch(rf"{re.escape(short)}-[0-9a-f]{{12}}", _norm(base)):
            recorded.update(_norm(n) for n in (short, *aliases))
    if Path(base).is_absolute() and Path(base).is_dir() and base_path.is_dir():
        return Path(base).resolve() == base_path.resolve()  # both here: the same folder?
    return bool(recorded & keys)


def _norm(name: str) -> str:
    return Path(name.rstrip("/")).name.lower()
