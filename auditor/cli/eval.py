"""`spillover eval`: score a model on BBQ, store every answer, print a per-cell summary."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from auditor.audit.profiles import EvalSection
from auditor.cli.options import F, bbq_option, settings_options, store_option
from auditor.core.choices import DEVICES, DTYPES, EVAL_MODES, ORDERS, PROMPT_STYLES
from auditor.models.quiet import quiet_hf

if TYPE_CHECKING:
    from auditor.core.answers import Answer
    from auditor.core.items import Item
    from auditor.stats.position import OrderAnswers
    from auditor.stats.summary import RunSummary


def orders_option(func: F) -> F:
    """--orders none|cyclic|all: option-order rotation (x1, x3, x6 the scoring)."""
    return click.option(
        "--orders",
        type=click.Choice(ORDERS),
        default="none",
        show_default=True,
        help="Score every item in several option orders: cyclic = its 3 rotations (3x the "
        "scoring time), all = its 6 permutations (6x). Answers are aggregated over the "
        "orders; position bias and order consistency are reported. letter and options "
        "modes only.",
    )(func)


def model_options(func: F) -> F:
    """--model/--adapter/--device/--dtype/--trust-remote-code, shared by commands."""
    for decorator in reversed((
        click.option("--model", "model", required=True, metavar="M",
                     help="Model folder, hub id, .gguf file, or smollm2-135m (bundled)."),
        click.option("--adapter", metavar="DIR", default=None, help="LoRA adapter folder."),
        click.option("--device", default="auto", show_default=True,
                     help=f"{', '.join(DEVICES)} or cuda:N."),
        click.option("--dtype", default="auto", show_default=True,
                     type=click.Choice(DTYPES),
                     help="auto: bf16 on CUDA, fp32 on CPU."),
        click.option("--trust-remote-code", is_flag=True,
                     help="Allow the model's own Python code to run (only if you trust it)."),
        click.option("--allow-pickle", is_flag=True,
                     help="Also load pickle weights (.bin/.pt), which can run code; "
                     "safetensors only without it."),
    )):  # fmt: skip
        func = decorator(func)
    return func


@click.command("eval")
@model_options
@bbq_option
@click.option("--mode", type=click.Choice(EVAL_MODES), default="letter", show_default=True,
              help="letter: log-probs of A/B/C; options: option log-likelihood; "
              "generate: greedy answer, parsed; cloze: no options listed, each option's "
              "text scored as the continuation of context and question (an untrained "
              "format).")  # fmt: skip
@click.option(
    "--sample",
    "sample_n",
    type=click.IntRange(min=4),
    default=None,
    metavar="N",
    help="Evaluate a stratified sample of at most N items (whole template instances "
    "of four items, so N is rounded down to fit).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling seed.")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True)
@click.option(
    "--prompt-style",
    type=click.Choice(PROMPT_STYLES),
    default="auto",
    show_default=True,
    help="auto: the chat template when the model has one.",
)
@click.option(
    "--max-new-tokens",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Generate mode: tokens to generate.",
)
@orders_option
@settings_options(EvalSection, only=("prefix_cache",))
@store_option
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
def eval_cmd(
    model: str,
    adapter: str | None,
    device: str,
    dtype: str,
    trust_remote_code: bool,
    allow_pickle: bool,
    bbq: str | None,
    mode: str,
    sample_n: int | None,
    seed: int,
    batch_size: int,
    prompt_style: str,
    max_new_tokens: int,
    orders: str,
    prefix_cache: str,
    store_path: str | None,
    fmt: str,
) -> None:
    """Evaluate a model on BBQ. Reruns resume: stored items are never scored twice."""
    from auditor.evaluation.orders import check_orders

    check_orders(orders, mode)  # before any data or model is loaded
    quiet_hf()
    from auditor.bbq import load_bbq, resolve_bbq_dir, sample
    from auditor.cli.options import open_store
    from auditor.cli.progress import ProgressReporter
    from auditor.evaluation.evaluate import evaluate
    from auditor.models.distributed import world
    from auditor.models.loading import ModelSpec

    data = load_bbq(resolve_bbq_dir(bbq))
    items = sample(data.items, n=sample_n, seed=seed) if sample_n is not None else data.items
    spec = ModelSpec(model, adapter, device, dtype, trust_remote_code, allow_pickle)
    if not world().is_main:  # under a launcher: score a share, rank 0 stores and prints
        evaluate(
            spec,
            items,
            mode=mode,
            store=None,
            batch_size=batch_size,
            prompt_style=prompt_style,
            max_new_tokens=max_new_tokens,
            data_checksum=data.checksum,
            orders=orders,
            prefix_cache=prefix_cache,
        )
        return
    with open_store(store_path) as store:
        with ProgressReporter() as reporter:
            run_id = evaluate(
                spec, items, mode=mode, store=store, batch_size=batch_size,
                reporter=reporter, prompt_style=prompt_style, max_new_tokens=max_new_tokens,
                data_checksum=data.checksum, orders=orders, prefix_cache=prefix_cache,
            )  # fmt: skip
        answers = store.answers(run_id)
        by_order = store.order_answers(run_id) if orders != "none" else {}
        path = store.path
    if sample_n is not None:
        click.echo(f"sampled {len(items)} of {len(data.items)} items (seed {seed})", err=True)
    by_id = {item.id: item for item in items}
    if fmt == "json":
        click.echo(json.dumps(summary_json(run_id, path, by_id, answers, by_order), indent=2))
    else:
        print_summary(run_id, path, by_id, answers, by_order)


def summarize(by_id: Mapping[str, Item], answers: Sequence[Answer]) -> RunSummary:
    """The stats engine's per-slice summary of one run (bootstrap kept small for speed)."""
    from auditor.stats.summary import summarize_run

    return summarize_run(by_id, answers, n_boot=1000)


def summary_json(
    run_id: str,
    path: Path,
    by_id: Mapping[str, Item],
    answers: Sequence[Answer],
    by_order: OrderAnswers | None = None,
) -> dict[str, Any]:
    """The run's summary; with rotated answers (``by_order``) also ``position_bias`` and
    ``order_consistency`` (the summary itself is then of the aggregated answers)."""
    out: dict[str, Any] = {
        "run_id": run_id,
        "store": str(path),
        "summary": json.loads(summarize(by_id, answers).to_json()),
    }
    if by_order:
        from dataclasses import asdict

        from auditor.stats.position import consistency, position_bias

        out["position_bias"] = asdict(position_bias(by_id, by_order))
        out["order_consistency"] = asdict(consistency(by_order))
    return out


def print_summary(
    run_id: str,
    path: Path,
    by_id: Mapping[str, Item],
    answers: Sequence[Answer],
    by_order: OrderAnswers | None = None,
) -> None:
    """Accuracy (Wilson CIs), unknown and invalid rates and bias scores per attribute;
    position bias and order consistency for a rotated run."""
    from auditor.cli.options import table_console
    from auditor.reports.rich import render_summary

    console = table_console()
    console.print(render_summary(summarize(by_id, answers)))
    if by_order:
        from auditor.reports.rotation import run_lines
        from auditor.stats.position import consistency, position_bias

        for line in run_lines(position_bias(by_id, by_order), consistency(by_order)):
            console.print(line, highlight=False, markup=False)
    console.print(f"stored in {path}  (run {run_id})", highlight=False, markup=False)
