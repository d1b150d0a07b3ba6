"""Model sources, device/dtype, adapters, and the one-line errors users see."""

from __future__ import annotations

import json
import re
import shutil
import threading

import pytest
import torch

from auditor.core.errors import InputError
from auditor.models import sources
from auditor.models.loading import ModelSpec, load_model, resolve_dtype
from auditor.models.sources import fingerprint, resolve_source
from tests.auditor.helpers import copy_tokenizer, make_tiny_llama


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_tiny_model_loads_with_info(tiny_model, tiny_llama_dir):
    info = tiny_model.info
    assert info["path"] == str(tiny_llama_dir.resolve())
    assert info["fingerprint"] == fingerprint(tiny_llama_dir)
    assert info["architecture"] == "LlamaForCausalLM" and info["adapter"] is None
    assert (tiny_model.device, tiny_model.dtype) == ("cpu", "float32")
    assert not tiny_model.model.training
    assert tiny_model.tokenizer.pad_token_id is not None


def test_dtype_override_and_auto(tiny_llama_dir):
    loaded = load_model(ModelSpec(str(tiny_llama_dir), device="cpu", dtype="bf16"))
    assert loaded.dtype == "bfloat16"
    assert next(loaded.model.parameters()).dtype == torch.bfloat16
    assert resolve_dtype("auto", "cpu") == "float32"
    assert resolve_dtype("auto", "cuda") == "bfloat16"
    with pytest.raises(InputError, match="dtype"):
        resolve_dtype("int3", "cpu")


def test_bundled_smollm2_is_a_plain_safetensors_folder(smollm2_dir):
    assert resolve_source("smollm2-135m") == smollm2_dir  # cached: same folder, no reconversion
    config = json.loads((smollm2_dir / "config.json").read_text())
    assert "quantization_config" not in config
    assert config["architectures"] == ["LlamaForCausalLM"]
    assert (
        list(smollm2_dir.glob("*.safetensors")) and (smollm2_dir / "chat_template.jinja").is_file()
    )


@pytest.mark.parametrize(
    ("extra", "needle"),
    [({"device": "cuda:7"}, "device cuda:7"), ({"adapter": "/no/such/adapter"}, "adapter")],
)
def test_a_bad_device_or_adapter_is_refused_before_any_conversion(
    tmp_path, monkeypatch, extra, needle
):
    monkeypatch.setenv("SPILLOVER_CACHE", str(tmp_path / "cache"))
    spec = ModelSpec("smollm2-135m", **{"device": "cpu", **extra})
    with pytest.raises(InputError, match=needle):
        load_model(spec)
    assert not (tmp_path / "cache").exists()  # nothing converted, nothing written


def test_the_tokenizer_alone_is_the_converted_models(tmp_path, smollm2_dir):
    """The tiny test models' tokenizer (read from the GGUF, no weights) has the files the
    converted model has: byte for byte, less how the config was loaded."""
    from auditor.models.sources import bundled_gguf

    from ..helpers import TOKENIZER_FILES, gguf_tokenizer

    alone = gguf_tokenizer(bundled_gguf("smollm2-135m"), tmp_path / "tokenizer")
    for name in TOKENIZER_FILES:
        mine, theirs = (alone / name).read_bytes(), (smollm2_dir / name).read_bytes()
        if name == "tokenizer_config.json":  # it records how it was loaded (HF_HUB_OFFLINE)
            mine, theirs = (
                {k: v for k, v in json.loads(t).items() if k != "local_files_only"}
                for t in (mine, theirs)
            )
        assert mine == theirs, name


def test_fingerprint_changes_with_weights(tmp_path, tiny_llama_dir, smollm2_tokenizer_dir):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_llama_dir, copy)
    assert fingerprint(copy) == fingerprint(tiny_llama_dir)  # content, not location
    make_tiny_llama(copy, smollm2_tokenizer_dir, seed=1)
    assert fingerprint(copy) != fingerprint(tiny_llama_dir)


@pytest.mark.parametrize(
    "setup, message",
    [
        ("missing", "no such folder"),
        ("no_config", "no config.json"),
        ("bin_only", ".bin weights"),
        ("no_weights", "no \\*.safetensors"),
        ("no_tokenizer", "no tokenizer"),
        ("adapter", "--adapter"),
        ("text_file", "not .gguf"),
    ],
)
def test_bad_model_sources_are_one_line_input_errors(tmp_path, tiny_llama_dir, setup, message):
    folder = tmp_path / "model"
    if setup != "missing":
        folder.mkdir()
    if setup in ("bin_only", "no_weights", "no_tokenizer"):
        shutil.copy(tiny_llama_dir / "config.json", folder)
    if setup in ("bin_only", "no_weights", "no_config"):
        copy_tokenizer(tiny_llama_dir, folder)
    if setup == "bin_only":
        (folder / "pytorch_model.bin").write_bytes(b"\0")
    if setup == "no_tokenizer":
        shutil.copy(tiny_llama_dir / "model.safetensors", folder)
    if setup == "adapter":
        (folder / "adapter_config.json").write_text("{}")
    source = str(folder)
    if setup == "text_file":
        source = str(tmp_path / "weights.txt")
        (tmp_path / "weights.txt").write_text("x")
    with pytest.raises(InputError) as exc:
        load_model(ModelSpec(source, device="cpu"))
    assert re.search(message, one_line(exc))


def test_hub_id_takes_the_download_path_and_fails_cleanly_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InputError, match="hub download failed") as exc:
        resolve_source("nobody-here/no-such-model")
    one_line(exc)


def test_gguf_conversion_runs_once_when_two_start_together(tmp_path, monkeypatch):
    """Plumbing only (the real conversion is the smollm2_dir fixture): a second caller
    that starts while the first converts waits for it and gets its folder; the file is
    converted once and no temporary folder is left."""
    monkeypatch.setenv("SPILLOVER_CACHE", str(tmp_path / "cache"))
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    started, release, calls = threading.Event(), threading.Event(), []

    def fake_convert(src, out):
        calls.append(out)
        started.set()
        assert release.wait(timeout=10)
        (out / "config.json").write_text("{}")

    monkeypatch.setattr(sources, "_write_converted", fake_convert)
    results, heard = [], []

    def resolve():
        results.append(resolve_source(str(gguf), heard.append))

    first = threading.Thread(target=resolve)
    first.start()
    assert started.wait(timeout=10)
    second = threading.Thread(target=resolve)
    second.start()
    second.join(timeout=0.5)
    assert second.is_alive() and not results  # waiting while the first converts
    release.set()
    for t in (first, second):
        t.join(timeout=10)
    assert len(calls) == 1 and len(results) == 2 and results[0] == results[1]
    folders = [p.name for p in (tmp_path / "cache" / "models").iterdir() if p.is_dir()]
    assert folders == [results[0].name] and (results[0] / "config.json").is_file()
    assert len(heard) == 1 and "converting m.gguf" in heard[0].text
    assert resolve_source(str(gguf), heard.append) == results[0] and len(heard) == 1  # cached


# -- adapters ---------------------------------------------------------------------------


def save_adapter(model_dir, out, seed=0):
    """A LoRA adapter on ``model_dir`` with non-zero B weights (so it changes outputs)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(model_dir)
    peft = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj"]))
    torch.manual_seed(seed)
    for name, param in peft.named_parameters():
        if "lora_B" in name:
            param.data.normal_(std=0.5)
    peft.save_pretrained(out)
    return peft


def test_adapter_loads_merged_and_matches_peft(tmp_path, tiny_llama_dir, tiny_model):
    peft = save_adapter(tiny_llama_dir, tmp_path / "adapter")
    loaded = load_model(
        ModelSpec(str(tiny_llama_dir), adapter=str(tmp_path / "adapter"), device="cpu")
    )
    ids = torch.tensor([[1, 50, 60, 70, 80]])
    with torch.inference_mode():
        merged = loaded.model(input_ids=ids).logits
        reference = peft.eval()(input_ids=ids).logits
        base = tiny_model.model(input_ids=ids).logits
    assert torch.allclose(merged, reference, atol=1e-4)
    assert not torch.allclose(merged, base, atol=1e-3)
    assert loaded.info["adapter_fingerprint"] and loaded.info["adapter"].endswith("adapter")
    trainable = load_model(
        ModelSpec(str(tiny_llama_dir), adapter=str(tmp_path / "adapter"), device="cpu"),
        for_training=True,
    )
    assert trainable.model.training
    assert any(p.requires_grad for n, p in trainable.model.named_parameters() if "lora_" in n)


def test_adapter_for_another_base_is_refused(tmp_path, tiny_llama_dir, smollm2_tokenizer_dir):
    other = make_tiny_llama(tmp_path / "other-llama", smollm2_tokenizer_dir, hidden=32)
    save_adapter(other, tmp_path / "adapter")
    spec = ModelSpec(str(tiny_llama_dir), adapter=str(tmp_path / "adapter"), device="cpu")
    with pytest.raises(InputError, match="made for base model") as exc:
        load_model(spec)
    one_line(exc)
    # Same name recorded, wrong shapes: the load itself fails and is explained.
    config_file = tmp_path / "adapter" / "adapter_config.json"
    config = json.loads(config_file.read_text())
    config["base_model_name_or_path"] = str(tiny_llama_dir)
    config_file.write_text(json.dumps(config))
    with pytest.raises(InputError, match="does not fit") as exc:
        load_model(spec)
    one_line(exc)


def test_adapter_folder_without_config_is_refused(tmp_path, tiny_llama_dir):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="adapter_config.json"):
        load_model(ModelSpec(str(tiny_llama_dir), adapter=str(tmp_path / "empty"), device="cpu"))


def test_custom_code_never_runs_unless_asked(tmp_path, tiny_llama_dir):
    folder = tmp_path / "custom"
    shutil.copytree(tiny_llama_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "evil_llama"
    config["auto_map"] = {"AutoConfig": "modeling_evil.EvilConfig",
                          "AutoModelForCausalLM": "modeling_evil.EvilForCausalLM"}  # fmt: skip
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "modeling_evil.py").write_text("raise SystemExit('remote code ran')\n")
    with pytest.raises(InputError, match="--trust-remote-code") as exc:
        load_model(ModelSpec(str(folder), device="cpu"))
    one_line(exc)
