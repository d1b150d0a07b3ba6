"""Builders for real-but-small test models (see conftest.py for the shared fixtures)."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja")


def copy_tokenizer(src: Path, dst: Path) -> None:
    """Copy a saved tokenizer (files only, no weights) from ``src`` into ``dst``."""
    dst.mkdir(parents=True, exist_ok=True)
    if Path(src).resolve() == Path(dst).resolve():
        return
    for name in TOKENIZER_FILES:
        if (src / name).is_file():
            shutil.copy(src / name, dst / name)


def gguf_tokenizer(gguf: Path, folder: Path) -> Path:
    """Save the tokenizer (and chat template) of a GGUF model into ``folder``, weights
    untouched: the same files `convert_gguf` writes beside the converted weights."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tokenizer.save_pretrained(folder)
    return Path(folder)


def make_tiny_llama(
    folder: Path, tokenizer_dir: Path, *, seed: int = 0, hidden: int = 64, layers: int = 2
) -> Path:
    """Save a random LlamaForCausalLM (hidden ``hidden``, ``layers`` layers) with the
    tokenizer of ``tokenizer_dir`` into ``folder``, in Hugging Face layout."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder)
    copy_tokenizer(Path(tokenizer_dir), Path(folder))
    return Path(folder)


@contextlib.contextmanager
def serve_folder(root: Path):
    """Serve ``root`` over HTTP on 127.0.0.1 (a BBQ mirror for fetch tests); yields its URL."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def kill_when(cmd, ready, *, env, cwd, timeout: float = 240, poll: float = 0.05):
    """Start ``cmd``, SIGKILL it as soon as ``ready()`` is true, and return the process.

    Fails the test if the process ends first or ``ready`` never comes within ``timeout``.
    """
    import signal
    import subprocess
    import time

    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, f"not ready within {timeout} s"
            time.sleep(poll)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return proc


def run_here(args, *, threads: int | None = None):
    """``spillover *args`` in this process (click's CliRunner), for a rerun or a reference
    run that needs no process of its own; ``threads``: torch's for the call, as a
    subprocess given OMP_NUM_THREADS would have. Click's result."""
    import torch
    from click.testing import CliRunner

    from auditor.cli import main

    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return CliRunner().invoke(main, [str(a) for a in args])
    finally:
        torch.set_num_threads(before)
