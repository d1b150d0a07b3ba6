"""A tiny random Llama with a small BPE vocabulary, for fast real DPO runs on CPU.

trl 1.16 scores the full vocabulary at every position on devices without Triton, so with
SmolLM2's 49k-token vocabulary even a hidden-64 model spends seconds a step in its LM
head. A 512-token BPE trained on BBQ text (plus SmolLM2's chat template) keeps a DPO step
in the tenths of a second while every other part stays real.
"""

from __future__ import annotations

import json
from pathlib import Path

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def train_small_tokenizer(folder: Path, chat_template_dir: Path, bbq_files, vocab: int = 512):
    """Train a byte-level BPE on BBQ rows; save it with the chat template of another model."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    source = AutoTokenizer.from_pretrained(chat_template_dir)
    corpus = [
        source.apply_chat_template(
            [{"role": "user", "content": "x"}], tokenize=False, add_generation_prompt=True
        )
    ]
    for path in bbq_files:
        for line in Path(path).read_text().splitlines()[:400]:
            row = json.loads(line)
            corpus.append(" ".join(row[k] for k in ("context", "question", "ans0", "ans1", "ans2")))
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
    )
    fast.chat_template = source.chat_template
    fast.save_pretrained(folder)
    return fast


def make_small_llama(folder: Path, chat_template_dir: Path, bbq_files, *, seed: int = 0) -> Path:
    """A random 2-layer, hidden-64 Llama with a 512-token BPE, saved in HF layout."""
    from .helpers import make_tiny_llama

    folder = Path(folder)
    train_small_tokenizer(folder, chat_template_dir, bbq_files)
    return make_tiny_llama(folder, folder, seed=seed)
