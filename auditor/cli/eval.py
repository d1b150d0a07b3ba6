"""`spillover eval`: score a model on BBQ, store every answer, print a per-cell summary."""

from __future__ import annotations

import json

import click

from ..bbq.locate import bbq_option
from ..quiet import quiet_hf

MODES = ("letter", "options", "generate")


def model_options(func):
    """--model/--adapter/--device/--dtype/--trust-remote-code, shared by commands."""
    for decorator in reversed((
        click.option("--model", "model", required=True, metavar="M",
                     help="Model folder, hub id, .gguf file, or smollm2-135m (bundled)."),
        click.option("--adapter", metavar="DIR", default=None, help="LoRA adapter folder."),
        click.option("--device", default="auto", show_default=True,
                     help="auto, cpu, cuda, cuda:N or mps."),
        click.option("--dtype", default="auto", show_default=True,
                     help="auto (bf16 on CUDA, fp32 on CPU), float32, bfloat16, float16."),
        click.option("--trust-remote-code", is_flag=True,
                     help="Allow the model's own Python code to run (only if you trust it)."),
    )):  # fmt: skip
        func = decorator(func)
    return func


@click.command("eval")
@model_options
@bbq_option
@click.option("--mode", type=click.Choice(MODES), default="letter", show_default=True,
              help="letter: log-probs of A/B/C; options: option log-likelihood; "
              "generate: greedy answer, parsed.")  # fmt: skip
@click.option("--sample", "sample_n", type=int, default=None, metavar="N",
              help="Evaluate a stratified sample of N items (whole template instances).")
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling seed.")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--prompt-style", type=click.Choice(("auto", "chat", "plain")), default="auto",
              show_default=True, help="auto: the chat template when the model has one.")
@click.option("--max-new-tokens", type=click.IntRange(min=1), default=8, show_default=True,
              help="Generate mode: tokens to generate.")
@click.option("--store", "store_path", metavar="FILE", default=None,
              help="Run store (default: $SPILLOVER_STORE or the user data dir).")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table",
              show_default=True)
def eval_cmd(model, adapter, device, dtype, trust_remote_code, bbq, mode, sample_n, seed,
             batch_size, prompt_style, max_new_tokens, store_path, fmt):  # fmt: skip
    """Evaluate a model on BBQ. Reruns resume: stored items are never scored twice."""
    quiet_hf()
    from ..bbq import load_bbq, resolve_bbq_dir, sample
    from ..evaluate import evaluate
    from ..models import ModelSpec
    from ..store import Store, default_store_path
    from .progress import ProgressReporter

    data = load_bbq(resolve_bbq_dir(bbq))
    items = sample(data.items, n=sample_n, seed=seed) if sample_n else data.items
    spec = ModelSpec(model, adapter, device, dtype, trust_remote_code)
    with Store(store_path or default_store_path()) as store:
        with ProgressReporter() as reporter:
            run_id = evaluate(
                spec, items, mode=mode, store=store, batch_size=batch_size,
                reporter=reporter, prompt_style=prompt_style, max_new_tokens=max_new_tokens,
                data_checksum=data.checksum,
            )  # fmt: skip
        answers = store.answers(run_id)
        path = store.path
    by_id = {item.id: item for item in items}
    if fmt == "json":
        click.echo(json.dumps(summary_json(run_id, path, by_id, answers), indent=2))
    else:
        print_summary(run_id, path, by_id, answers)


def summarize(by_id, answers):
    """The stats engine's per-slice summary of one run (bootstrap kept small for speed)."""
    from ..stats.summary import summarize_run

    return summarize_run(by_id, answers, n_boot=1000)


def summary_json(run_id, path, by_id, answers) -> dict:
    return {
        "run_id": run_id,
        "store": str(path),
        "summary": json.loads(summarize(by_id, answers).to_json()),
    }


def print_summary(run_id, path, by_id, answers) -> None:
    """Accuracy and bias score per attribute x context, as a rich table on stdout."""
    from rich.console import Console
    from rich.table import Table

    from ..stats.summary import ALL

    summary = summarize(by_id, answers)
    table = Table(title=f"run {run_id}: {len(answers)} items", title_justify="left")
    for name in ("attribute", "n", "acc amb", "acc dis", "bias amb",
                 "bias dis", "invalid"):  # fmt: skip
        table.add_column(name, justify="left" if name == "attribute" else "right")
    for attribute in (*summary.attributes, ALL):
        total = summary.get(attribute)
        amb, dis = summary.get(attribute, "ambig"), summary.get(attribute, "disambig")
        table.add_row(
            attribute, str(total.n), _pct(amb.accuracy), _pct(dis.accuracy),
            _num(amb.bias), _num(dis.bias), str(total.n_invalid),
            end_section=attribute == summary.attributes[-1],
        )  # fmt: skip
    console = Console()
    console.print(table)
    console.print(f"stored in {path}  (run {run_id})", highlight=False)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:+.3f}"
