"""Keep Hugging Face progress bars and log chatter out of the terminal."""

from __future__ import annotations

import os


def quiet_hf() -> None:
    """Silence transformers' progress bars and warnings, and set the thread policy that
    avoids random stalls of small-model inference on few CPUs. Call before torch starts."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
