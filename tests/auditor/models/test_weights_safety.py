"""Safetensors only: pickle shards behind an index, decoys and corrupt adapters are refused."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.core.errors import InputError
from auditor.models.loading import check_adapter_folder
from auditor.models.sources import check_model_folder


@pytest.fixture
def pickle_model(tmp_path, tiny_llama_dir):
    """A folder whose index points at a torch.save'd shard beside a 1-byte decoy."""
    import torch
    from safetensors.torch import load_file

    folder = tmp_path / "model"
    shutil.copytree(tiny_llama_dir, folder)
    weights = next(folder.glob("*.safetensors"))
    state = load_file(weights)
    torch.save(state, folder / "pytorch_model-00001.bin")
    weights.unlink()
    (folder / "decoy.safetensors").write_bytes(b"x")
    index = {"metadata": {}, "weight_map": {k: "pytorch_model-00001.bin" for k in state}}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    return folder


def test_index_pointing_at_a_pickle_is_refused(pickle_model):
    with pytest.raises(InputError, match="not safetensors; refused"):
        check_model_folder(pickle_model)
    check_model_folder(pickle_model, allow_pickle=True)  # the explicit opt-in


def test_eval_refuses_it_with_exit_2(tmp_path, pickle_model, bbq_lite):
    result = CliRunner().invoke(
        main,
        [
            "eval",
            "--model",
            str(pickle_model),
            "--bbq",
            str(bbq_lite),
            "--sample",
            "36",
            "--store",
            str(tmp_path / "s.sqlite"),
        ],
    )
    assert result.exit_code == 2 and "refused" in result.stderr
    assert not (tmp_path / "s.sqlite").exists()  # a failed command leaves no store behind


def test_a_decoy_safetensors_file_is_refused(tmp_path, tiny_llama_dir):
    folder = tmp_path / "model"
    shutil.copytree(tiny_llama_dir, folder)
    (folder / "extra.safetensors").write_bytes(b"\x01")
    with pytest.raises(InputError, match="extra.safetensors: not a safetensors file"):
        check_model_folder(folder)


def test_a_corrupt_adapter_is_refused_before_loading(tmp_path):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text('{"base_model_name_or_path": "x"}')
    (adapter / "adapter_model.safetensors").write_bytes(b"\xff" * 64)
    with pytest.raises(InputError, match="not a safetensors file"):
        check_adapter_folder(adapter)
