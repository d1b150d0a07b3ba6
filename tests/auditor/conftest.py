"""Shared, session-scoped model and item fixtures for engine tests.

- ``smollm2_dir``: the bundled SmolLM2-135M-Instruct converted to a safetensors folder
  (cached under the spillover cache dir; ~20 s the very first time, then instant).
- ``smollm2_tokenizer_dir``: its tokenizer and chat template alone (no weights converted).
- ``tiny_llama_dir``: a random 2-layer, hidden-64 Llama with SmolLM2's tokenizer and
  chat template; forwards take milliseconds. Read-only: copy it before changing files.
- ``small_llama_dir``: the same shape of random Llama with a 512-token BPE trained on
  BBQ text, for fast real DPO (trl scores the full vocabulary at every position on CPU).
- ``tiny_model`` / ``smollm2``: those folders loaded on CPU in float32 (``LoadedModel``).
  Shared across tests: do not train or modify them in place.
- ``lite_items``: every item of the BBQ-lite release (real rows, real loader).
- ``few_items``: 24 real items, two template instances from each of six attributes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import make_tiny_llama


@pytest.fixture(scope="session")
def lm_eval_dir(bbq_root: Path) -> Path:
    """The real lm-evaluation-harness BBQ output beside the BBQ data (../shared/interop)."""
    folder = bbq_root.parent / "interop" / "lm-eval"
    if not (folder / "samples_bbq.jsonl").is_file():
        pytest.skip(f"lm-eval test output not found at {folder}")
    return folder


@pytest.fixture(scope="session")
def smollm2_dir():
    from auditor.models.sources import resolve_source

    return resolve_source("smollm2-135m")


@pytest.fixture(scope="session")
def smollm2_tokenizer_dir(tmp_path_factory):
    """SmolLM2's tokenizer and chat template alone: the converted model's folder when it
    is cached, else read from the bundled GGUF (about 4 s, where converting the weights
    takes about 20 s and waits for a test that needs them)."""
    from auditor.models.sources import bundled_gguf, converted_folder

    from .helpers import gguf_tokenizer

    gguf = bundled_gguf("smollm2-135m")
    converted = converted_folder(gguf, "smollm2-135m")
    if (converted / "config.json").is_file():
        return converted
    return gguf_tokenizer(gguf, tmp_path_factory.mktemp("smollm2-tokenizer"))


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory, smollm2_tokenizer_dir):
    return make_tiny_llama(tmp_path_factory.mktemp("models") / "tiny-llama", smollm2_tokenizer_dir)


@pytest.fixture(scope="session")
def small_llama_dir(tmp_path_factory, smollm2_tokenizer_dir, bbq_lite):
    from .align_helpers import make_small_llama

    folder = tmp_path_factory.mktemp("small") / "llama"
    return make_small_llama(folder, smollm2_tokenizer_dir, [bbq_lite / "Gender_identity.jsonl"])


@pytest.fixture(scope="session")
def tiny_model(tiny_llama_dir):
    from auditor.models.loading import ModelSpec, load_model

    return load_model(ModelSpec(str(tiny_llama_dir), device="cpu"))


@pytest.fixture(scope="session")
def smollm2(smollm2_dir):
    from auditor.models.loading import ModelSpec, load_model

    return load_model(ModelSpec("smollm2-135m", device="cpu"))


@pytest.fixture(scope="session")
def lite_items(bbq_lite):
    from auditor.bbq import load_bbq

    return load_bbq(bbq_lite).items


@pytest.fixture(scope="session")
def few_items(lite_items):
    from auditor.bbq import sample

    attrs = ("Age", "Gender_identity", "Nationality", "Religion", "SES", "Sexual_orientation")
    items = sample(lite_items, n=24, seed=1, attributes=attrs)
    assert len(items) == 24
    return items
