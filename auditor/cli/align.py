"""`spillover align`: align a model on target BBQ attribute(s) (DPO or another --method),
saving a LoRA adapter.

The first Ctrl-C asks training to stop at the end of the current step and save a
checkpoint; rerunning the same command resumes from it. A second Ctrl-C interrupts.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import click

from auditor.align.settings import AlignSettings
from auditor.cli.eval import model_options
from auditor.cli.interrupt import first_interrupt_cancels
from auditor.cli.options import bbq_option, settings_options, store_option
from auditor.core.choices import PROMPT_STYLES, TEXT_FORMATS
from auditor.core.items import ATTRIBUTES
from auditor.models.quiet import quiet_hf


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
@settings_options(AlignSettings, skip=("target",))
@click.option(
    "--prompt-style",
    type=click.Choice(PROMPT_STYLES),
    default="auto",
    show_default=True,
    help="Prompt format; use the evaluation's.",
)
@click.option("--merge", is_flag=True, help="Also write a merged model folder (merged/).")
@click.option("--format", "fmt", type=click.Choice(TEXT_FORMATS), default="text", show_default=True)
def align_cmd(
    model: str,
    adapter: str | None,
    device: str,
    dtype: str,
    trust_remote_code: bool,
    allow_pickle: bool,
    targets: tuple[str, ...],
    bbq: str | None,
    out_dir: str,
    store_path: str | None,
    prompt_style: str,
    merge: bool,
    fmt: str,
    **values: Any,
) -> None:
    """Align a model on the target attribute(s) of BBQ with DPO or another --method (LoRA
    adapter out)."""
    quiet_hf()
    from auditor.align.train import align
    from auditor.bbq import load_bbq, resolve_bbq_dir
    from auditor.cli.options import open_store
    from auditor.cli.progress import ProgressReporter
    from auditor.core.events import Cancelled, StageFinished, StageStarted
    from auditor.models.distributed import world
    from auditor.models.loading import ModelSpec

    target = split_targets(targets)
    settings = AlignSettings(target=target, **values)
    data = load_bbq(resolve_bbq_dir(bbq), attributes=target)
    spec = ModelSpec(model, adapter, device, dtype, trust_remote_code, allow_pickle)
    cancel = threading.Event()
    if not world().is_main:  # under a launcher: train a share; rank 0 writes and prints
        try:
            with first_interrupt_cancels(cancel):
                align(
                    spec,
                    data.items,
                    settings=settings,
                    prompt_style=prompt_style,
                    out_dir=out_dir,
                    store=None,
                    cancel=cancel,
                    merge=merge,
                )
        except Cancelled:
            raise SystemExit(130) from None
        return
    with open_store(store_path) as store, ProgressReporter() as reporter:
        reporter(StageStarted("align", f"{settings.method.upper()} on {', '.join(target)}"))
        try:
            with first_interrupt_cancels(cancel):
                result = align(spec, data.items, settings=settings, prompt_style=prompt_style,
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
        "method": settings.method,
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
    margin = f", reward margin {m['rewards/margins']:.4f}" if "rewards/margins" in m else ""
    click.echo(
        f"run {result.run_id} ({settings.method}): {m.get('global_step', '?')} steps, last loss "
        f"{m.get('loss', float('nan')):.4f}{margin}; {out['train_items']} training items, "
        f"{out['heldout_items']} held out (stored in {path})"
    )
