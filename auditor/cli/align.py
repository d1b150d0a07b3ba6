"""`spillover align`: DPO-align a model on target BBQ attribute(s), saving a LoRA adapter.

The first Ctrl-C asks training to stop at the end of the current step and save a
checkpoint; rerunning the same command resumes from it. A second Ctrl-C interrupts.
"""

from __future__ import annotations

import json
import threading

import click

from auditor.cli.eval import model_options
from auditor.cli.interrupt import first_interrupt_cancels
from auditor.cli.options import FiniteRange, bbq_option, store_option
from auditor.core.items import ATTRIBUTES
from auditor.models.quiet import quiet_hf

# CLI flag -> DPOSettings field, for the flags that are plain values
FLAGS = {
    "epochs": "epochs", "beta": "beta", "lr": "learning_rate", "lora_r": "lora_r",
    "lora_alpha": "lora_alpha", "lora_dropout": "lora_dropout", "batch_size": "batch_size",
    "grad_accum": "grad_accum", "max_length": "max_length", "max_steps": "max_steps",
    "save_steps": "save_steps", "seed": "seed", "rejected": "rejected",
    "heldout": "heldout_fraction", "sample": "train_sample", "prompt_style": "prompt_style",
}  # fmt: skip


def split_targets(values: tuple[str, ...]) -> tuple[str, ...]:
    """--target may repeat or hold a comma-separated list."""
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return tuple(dict.fromkeys(names)) or ("Gender_identity",)


@click.command("align")
@model_options
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ATTR",
    help=f"Attribute(s) to align on (repeat or comma-separate; default Gender_identity). "
    f"One of: {', '.join(ATTRIBUTES)}.",
)
@bbq_option
@click.option(
    "--out",
    "out_dir",
    required=True,
    metavar="DIR",
    help="Output folder: adapter/, checkpoints/, align.json (rerun = resume).",
)
@store_option
@click.option(
    "--epochs", type=FiniteRange(min=0, min_open=True), default=1.0, show_default=True
)
@click.option("--beta", type=FiniteRange(min=0, min_open=True), default=0.1, show_default=True)
@click.option(
    "--lr",
    type=FiniteRange(min=0, min_open=True),
    default=5e-5,
    show_default=True,
    help="Learning rate.",
)
@click.option("--lora-r", type=click.IntRange(min=1), default=16, show_default=True)
@click.option("--lora-alpha", type=click.IntRange(min=1), default=32, show_default=True)
@click.option(
    "--lora-dropout", type=FiniteRange(0, 1, max_open=True), default=0.05, show_default=True
)
@click.option(
    "--target-modules",
    default="q_proj,k_proj,v_proj,o_proj",
    show_default=True,
    help="Comma-separated module names LoRA adapts.",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--grad-accum", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--max-length",
    type=click.IntRange(min=8),
    default=512,
    show_default=True,
    help="Longest prompt+answer in tokens.",
)
@click.option(
    "--max-steps",
    type=int,
    default=-1,
    show_default=True,
    help="Stop after N optimizer steps (overrides --epochs when > 0).",
)
@click.option(
    "--save-steps",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Checkpoint every N steps (what a rerun resumes from).",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Split, sampling and training seed."
)
@click.option("--rejected", type=click.Choice(("all_wrong", "biased")), default="all_wrong",
              show_default=True, help="all_wrong: two pairs per item; biased: reject the "
              "stereotyped answer only.")  # fmt: skip
@click.option(
    "--heldout",
    type=FiniteRange(0, 1, min_open=True, max_open=True),
    default=0.2,
    show_default=True,
    help="Share of template instances held out of training.",
)
@click.option(
    "--sample",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Train on at most N items (whole template instances); 0 = all.",
)
@click.option(
    "--exclude-trans",
    is_flag=True,
    help="Drop the transgender templates from training (as the paper did).",
)
@click.option("--exclude-subcategory", "exclude_subcategories", multiple=True, metavar="NAME")
@click.option(
    "--exclude-template",
    "exclude_templates",
    multiple=True,
    metavar="ID",
    help="A question index (35) or ATTR:INDEX to leave out; repeatable.",
)
@click.option(
    "--prompt-style",
    type=click.Choice(("auto", "chat", "plain")),
    default="auto",
    show_default=True,
)
@click.option("--qlora", is_flag=True, help="4-bit base model (bitsandbytes; CUDA only).")
@click.option("--activation-checkpointing", is_flag=True, help="Trade compute for memory.")
@click.option("--merge", is_flag=True, help="Also write a merged model folder (merged/).")
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
def align_cmd(model, adapter, device, dtype, trust_remote_code, allow_pickle, targets, bbq, out_dir,
              store_path, target_modules, exclude_trans, exclude_subcategories,
              exclude_templates, qlora, activation_checkpointing, merge, fmt, **flags):  # fmt: skip
    """Align a model with DPO on the target attribute(s) of BBQ (LoRA adapter out)."""
    quiet_hf()
    from auditor.align.settings import DPOSettings
    from auditor.align.train import align
    from auditor.bbq import load_bbq, resolve_bbq_dir
    from auditor.cli.options import open_store
    from auditor.cli.progress import ProgressReporter
    from auditor.core.events import Cancelled, StageFinished, StageStarted
    from auditor.models.distributed import world
    from auditor.models.loading import ModelSpec

    target = split_targets(targets)
    settings = DPOSettings(
        **{FLAGS[k]: v for k, v in flags.items()},
        target_modules=tuple(m.strip() for m in target_modules.split(",") if m.strip()),
        exclude_trans=exclude_trans,
        exclude_subcategories=exclude_subcategories,
        exclude_templates=exclude_templates,
        qlora=qlora,
        activation_checkpointing=activation_checkpointing,
    )
    data = load_bbq(resolve_bbq_dir(bbq), attributes=target)
    spec = ModelSpec(model, adapter, device, dtype, trust_remote_code, allow_pickle)
    cancel = threading.Event()
    if not world().is_main:  # under a launcher: train a share; rank 0 writes and prints
        try:
            with first_interrupt_cancels(cancel):
                align(spec, data.items, target=target, settings=settings, out_dir=out_dir,
                      store=None, cancel=cancel, merge=merge)
        except Cancelled:
            raise SystemExit(130) from None
        return
    with open_store(store_path) as store, ProgressReporter() as reporter:
        reporter(StageStarted("align", f"DPO on {', '.join(target)}"))
        try:
            with first_interrupt_cancels(cancel):
                result = align(spec, data.items, target=target, settings=settings,
                               out_dir=out_dir, store=store, reporter=reporter,
                               cancel=cancel, merge=merge)  # fmt: skip
        except Cancelled as exc:
            reporter.close()
            click.echo(f"cancelled: {exc}", err=True)
            raise SystemExit(130) from None
        reporter(StageFinished("align", skipped=result.reused, detail=str(result.adapter_dir)))
        path = store.path
    out = {
        "run_id": result.run_id,
        "store": str(path),
        "adapter_dir": str(result.adapter_dir),
        "merged_dir": str(result.merged_dir) if result.merged_dir else None,
        "train_items": len(result.train_ids),
        "heldout_items": len(result.heldout_ids),
        "metrics": result.metrics,
    }
    if fmt == "json":
        click.echo(json.dumps(out, indent=2))
        return
    m = result.metrics
    click.echo(f"adapter: {out['adapter_dir']}")
    if out["merged_dir"]:
        click.echo(f"merged:  {out['merged_dir']}")
    click.echo(
        f"run {result.run_id}: {m.get('global_step', '?')} steps, last loss "
        f"{m.get('loss', float('nan')):.4f}, reward margin "
        f"{m.get('rewards/margins', float('nan')):.4f}; {out['train_items']} training items, "
        f"{out['heldout_items']} held out (stored in {path})"
    )
