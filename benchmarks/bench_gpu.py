"""The GPU path at 7B scale: scoring and DPO speed on a random-weight 7B-class model.

    python benchmarks/bench_gpu.py [--shape qwen2.5-7b|llama-3.1-8b] [--bbq DIR]
    python benchmarks/bench_gpu.py --tiny          # the same code on CPU, in seconds

Builds the model from a config with random weights (no download), in bf16 on CUDA,
scores real BBQ prompts in letter and options mode at several batch sizes, then at the
best batch size with and without the prefix tree (positions the model was fed, seconds,
predictions identical: the ``prefix tree:`` line of bench_scoring.py), runs LoRA DPO
steps through the engine's own trainer, and prints one JSON line per measurement:
items/s, model FLOP utilisation (2 · params · tokens / s over the device's bf16 peak),
seconds per DPO step, peak GPU memory, and the projections for the paper's full runs
(31,372 items for nine attributes; ~7,700 gender pairs). Not a test: timings depend on
the machine.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: avoids CPU stalls

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

BBQ_LITE = Path(__file__).resolve().parents[2] / "shared" / "bbq" / "lite"
FULL_ITEMS = 31_372  # the nine attributes of the official BBQ release
PAPER_PAIRS = 7_700  # gender DPO pairs in the paper's setting (about)
PEAK_BF16 = {"H200": 989e12, "H100": 989e12, "A100": 312e12}  # dense bf16 FLOP/s

SHAPES = {  # from the published configs; random weights
    "qwen2.5-7b": dict(
        arch="qwen2",
        vocab_size=152_064,
        hidden_size=3584,
        intermediate_size=18_944,
        num_hidden_layers=28,
        num_attention_heads=28,
        num_key_value_heads=4,
        tie_word_embeddings=False,
    ),
    "llama-3.1-8b": dict(
        arch="llama",
        vocab_size=128_256,
        hidden_size=4096,
        intermediate_size=14_336,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=8,
        tie_word_embeddings=False,
    ),
    "tiny": dict(
        arch="llama",
        vocab_size=49_152,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        tie_word_embeddings=True,
    ),
}


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def build(shape: str, device: str, dtype):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    spec = dict(SHAPES[shape])
    arch = spec.pop("arch")
    config_cls, model_cls = (
        (Qwen2Config, Qwen2ForCausalLM) if arch == "qwen2" else (LlamaConfig, LlamaForCausalLM)
    )
    config = config_cls(max_position_embeddings=4096, **spec)
    torch.manual_seed(0)
    with torch.device(device):
        model = model_cls(config).to(dtype)
    return model.eval()


def peak_flops(device: str) -> float | None:
    import torch

    if not device.startswith("cuda"):
        return None
    name = torch.cuda.get_device_name()
    return next((v for k, v in PEAK_BF16.items() if k in name), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="qwen2.5-7b")
    parser.add_argument("--tiny", action="store_true", help="the tiny shape on CPU (seconds)")
    parser.add_argument("--bbq", default=os.environ.get("SPILLOVER_BBQ", str(BBQ_LITE)))
    parser.add_argument("--items", type=int, default=0, help="items scored per setting")
    parser.add_argument("--batch-sizes", default="", help="comma list (default by device)")
    parser.add_argument("--dpo-steps", type=int, default=0)
    parser.add_argument(
        "--tokenizer",
        default="smollm2-135m",
        help="a model folder (or bundled name) whose tokenizer builds prompts",
    )
    args = parser.parse_args()

    import torch

    from auditor.bbq import load_bbq, sample
    from auditor.evaluation.prompts import PromptBuilder
    from auditor.evaluation.scoring import score_batch
    from auditor.models.loading import load_tokenizer
    from auditor.models.quiet import quiet_hf

    quiet_hf()
    cuda = torch.cuda.is_available() and not args.tiny
    device = "cuda" if cuda else "cpu"
    dtype = torch.bfloat16 if cuda else torch.float32
    shape = "tiny" if args.tiny else args.shape
    if not cuda and not args.tiny:
        raise SystemExit("no CUDA device here: run with --tiny for the CPU check")
    tokenizer = load_tokenizer(args.tokenizer)  # any real chat tokenizer: ids < vocab
    start = time.perf_counter()
    model = build(shape, device, dtype)
    params = sum(p.numel() for p in model.parameters())
    emit(
        measure="build",
        shape=shape,
        device=device,
        dtype=str(dtype).split(".")[-1],
        parameters=params,
        seconds=round(time.perf_counter() - start, 2),
        gpu=torch.cuda.get_device_name() if cuda else None,
    )
    builder = PromptBuilder(tokenizer, "chat")
    n = args.items or (512 if cuda else 32)
    items = sample(load_bbq(args.bbq).items, n=n, seed=0)
    prompts = [builder.prompt_ids(i) for i in items]
    tokens = sum(len(p) for p in prompts)
    peak = peak_flops(device)
    sizes = [int(b) for b in args.batch_sizes.split(",") if b] or (
        [16, 32, 64, 128] if cuda else [8]
    )
    for mode in ("letter", "options"):
        best = None
        for batch in sizes:
            try:
                if cuda:
                    torch.cuda.reset_peak_memory_stats()
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
                with torch.inference_mode():
                    for first in range(0, len(items), batch):
                        score_batch(
                            mode,
                            model,
                            builder,
                            items[first : first + batch],
                            prompts[first : first + batch],
                        )
                if cuda:
                    torch.cuda.synchronize()
                seconds = time.perf_counter() - t0
            except torch.OutOfMemoryError:
                emit(measure=f"score_{mode}", batch_size=batch, error="CUDA out of memory")
                torch.cuda.empty_cache()
                break
            rate = len(items) / seconds
            mfu = 2 * params * tokens / seconds / peak if peak else None
            row = dict(
                measure=f"score_{mode}",
                batch_size=batch,
                items=len(items),
                items_per_s=round(rate, 2),
                prompt_tokens=tokens,
                mfu=round(mfu, 3) if mfu else None,
                peak_gpu_gib=round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
                projected_full_bbq_min=round(FULL_ITEMS / rate / 60, 2),
            )
            emit(**row)
            best = row if best is None or rate > best["items_per_s"] else best
        if best:
            emit(measure=f"best_{mode}", **{k: v for k, v in best.items() if k != "measure"})
            prefix_tree(model, builder, items, prompts, mode, best["batch_size"], cuda)
    dpo(model, tokenizer, items, device, cuda, args.dpo_steps or (6 if cuda else 2))


def prefix_tree(model, builder, items, prompts, mode, batch, cuda) -> None:
    """The same items scored without and with the prefix tree, at one batch size."""
    import torch

    from auditor.evaluation.scoring import score_batch
    from auditor.evaluation.scoring.batching import plan_batches
    from auditor.evaluation.scoring.prefix_tree import prefix_batches

    fed = [0]
    hook = model.register_forward_pre_hook(
        lambda module, args, kwargs: fed.__setitem__(0, fed[0] + kwargs["input_ids"].numel()),
        with_kwargs=True,
    )
    runs = {}
    try:
        for shared in (False, True):
            plan = (
                prefix_batches(prompts, batch)
                if shared
                else plan_batches([len(p) for p in prompts], batch)
            )
            fed[0], answers = 0, {}
            if cuda:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            for b in plan:
                for i, a in zip(
                    b,
                    score_batch(
                        mode,
                        model,
                        builder,
                        [items[i] for i in b],
                        [prompts[i] for i in b],
                        shared=shared,
                    ),
                    strict=True,
                ):
                    answers[i] = a.predicted
            if cuda:
                torch.cuda.synchronize()
            runs[shared] = (fed[0], time.perf_counter() - t0, answers)
    finally:
        hook.remove()
    (n_off, t_off, off), (n_on, t_on, on) = runs[False], runs[True]
    same = sum(off[i] == on[i] for i in off)
    emit(
        measure=f"prefix_tree_{mode}",
        batch_size=batch,
        items=len(items),
        positions_without=n_off,
        positions_with=n_on,
        tokens_ratio=round(n_on / n_off, 3),
        seconds_without=round(t_off, 3),
        seconds_with=round(t_on, 3),
        wall_ratio=round(t_on / t_off, 3),
        identical=same,
        line=f"prefix tree: tokens computed ratio {n_on / n_off:.3f}, wall ratio "
        f"{t_on / t_off:.2f}, predictions identical {same}/{len(items)}",
    )


def dpo(model, tokenizer, items, device, cuda, steps) -> None:
    """LoRA DPO steps through the engine's trainer on the same random model."""
    import torch

    from auditor.align.run_folder import RunFolder
    from auditor.align.session import train_adapter
    from auditor.align.settings import AlignSettings
    from auditor.align.split import split_target
    from auditor.align.train import prepare_data
    from auditor.evaluation.prompts import PromptBuilder
    from auditor.models.loading import LoadedModel
    from auditor.store.db import Store

    target = tuple(sorted({i.attribute for i in items}))[:1]
    settings = AlignSettings(
        target=target,
        max_steps=steps,
        batch_size=4,
        save_steps=10_000,
        max_length=512,
        heldout_fraction=0.2,
    )
    model.train()
    loaded = LoadedModel(
        model, tokenizer, device, "bfloat16" if cuda else "float32", {"source": "random"}
    )
    builder = PromptBuilder(tokenizer, "chat")
    data = prepare_data(split_target(items, settings), settings, builder)
    times: list[float] = []

    class Clock:
        def __call__(self, event):
            if type(event).__name__ == "TrainStep":
                if cuda:
                    torch.cuda.synchronize()
                times.append(time.perf_counter())

    if cuda:
        torch.cuda.reset_peak_memory_stats()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite")
        run = store.create_or_get_run("train", "bench")
        start = time.perf_counter()
        train_adapter(
            loaded,
            data,
            settings,
            RunFolder(Path(tmp) / "out"),
            store=store,
            run_id=run,
            report=Clock(),
            cancel=None,
        )
        store.close()
    if len(times) >= 2:
        per_step = (times[-1] - times[0]) / (len(times) - 1)
    else:
        per_step = time.perf_counter() - start
    per_pair = per_step / settings.batch_size
    emit(
        measure="dpo_lora",
        steps=len(times),
        pairs_per_step=settings.batch_size,
        seconds_per_step=round(per_step, 3),
        peak_gpu_gib=round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
        projected_paper_dpo_min=round(PAPER_PAIRS * per_pair / 60, 2),
    )


if __name__ == "__main__":
    main()
