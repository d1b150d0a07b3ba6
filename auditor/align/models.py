"""The model DPO trains (full precision, or 4-bit for QLoRA) and the merged model it writes."""

from __future__ import annotations

from pathlib import Path

from auditor.align.run_folder import RunFolder
from auditor.align.settings import AlignSettings
from auditor.core.errors import InputError


def check_qlora(spec, settings: AlignSettings) -> None:
    """QLoRA needs CUDA and bitsandbytes; refuse anything else in one line."""
    if not settings.qlora:
        return
    import importlib.util

    from auditor.models.loading import resolve_device

    device = resolve_device(spec.device)
    if not device.startswith("cuda"):
        raise InputError(f"--qlora needs a CUDA GPU (device here: {device}); drop --qlora")
    if importlib.util.find_spec("bitsandbytes") is None:
        raise InputError("--qlora needs bitsandbytes; run pip install bitsandbytes")


def load_training_model(spec, settings: AlignSettings):
    """The model to put a fresh LoRA on: full precision, or 4-bit with QLoRA.

    An existing adapter in ``spec`` is merged into the base first, so the new adapter
    (and the DPO reference) start from the adapted model.
    """
    from auditor.models.loading import LoadedModel, load_model, load_tokenizer, resolve_device

    if not settings.qlora:
        loaded = load_model(spec, for_training=not spec.adapter)
        loaded.model.train()
        return loaded
    if spec.adapter:
        raise InputError("--qlora cannot start from an existing --adapter; merge it first")
    import torch
    from peft import prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    path = spec.folder()
    device = resolve_device(spec.device)
    quant = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_compute_dtype=torch.bfloat16,
        bnb_4bit_use_double_quant=True,
    )
    model = AutoModelForCausalLM.from_pretrained(
        path,
        quantization_config=quant,
        dtype=torch.bfloat16,
        device_map={"": 0 if device == "cuda" else device},
        use_safetensors=None if spec.allow_pickle else True,
        trust_remote_code=spec.trust_remote_code,
    )
    model = prepare_model_for_kbit_training(
        model, use_gradient_checkpointing=settings.activation_checkpointing
    )
    info = {"source": spec.source, "path": str(path), "quantization": "4bit-nf4"}
    return LoadedModel(model, load_tokenizer(spec, path=path), device, "bfloat16", info)


def write_merged(spec, folder: RunFolder) -> Path:
    """The model trained on (``spec``, its own adapter merged) plus the new adapter, merged
    into a plain safetensors folder with its tokenizer."""
    from peft import PeftModel

    from auditor.models.loading import load_model

    loaded = load_model(spec, for_training=False)
    model = PeftModel.from_pretrained(loaded.model, str(folder.adapter)).merge_and_unload()

    def write(tmp: Path) -> None:
        model.save_pretrained(tmp)  # safetensors: the only format in transformers 5
        loaded.tokenizer.save_pretrained(tmp)

    return folder.publish(folder.merged, write)
