"""`spillover import`: store runs made by other tools as ordinary spillover runs."""

from __future__ import annotations

import json

import click

from auditor.cli.options import bbq_option, open_store, store_option


@click.group("import")
def import_group() -> None:
    """Import runs made by other evaluation tools."""


@import_group.command("lm-eval")
@click.argument("samples", type=click.Path(dir_okay=False))
@click.option(
    "--results",
    "results_path",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="RESULTS.json",
    help="lm-eval's results file: records its version, task, model and prompt.",
)
@click.option("--name", default=None, help="The model name to store (default: from results).")
@click.option(
    "--allow-mismatch",
    is_flag=True,
    help="Import the samples that match the BBQ data and skip the others.",
)
@bbq_option
@store_option
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
def lm_eval_cmd(
    samples: str,
    results_path: str | None,
    name: str | None,
    allow_mismatch: bool,
    bbq: str | None,
    store_path: str | None,
    fmt: str,
) -> None:
    """Store SAMPLES.jsonl (`lm_eval --log_samples`, a BBQ multiple-choice task) as a run.

    Each sample is checked against the BBQ item of the same category and example_id."""
    from auditor.bbq import load_bbq, resolve_bbq_dir
    from auditor.interop.lm_eval_import import bias_score_notes, import_lm_eval
    from auditor.interop.lm_eval_samples import read_samples

    categories = sorted({str(s.doc["category"]) for s in read_samples(samples)})
    data = load_bbq(resolve_bbq_dir(bbq), attributes=_known(categories))
    with open_store(store_path) as store:
        result = import_lm_eval(samples, data.items, store=store, results_path=results_path,
                                name=name, allow_mismatch=allow_mismatch,
                                data_checksum=data.checksum)  # fmt: skip
        notes = bias_score_notes(store, result.run_id, result.provenance.get("results", {}))
        path = store.path
    for m in result.mismatches:
        click.echo(f"skipped {samples}:{m.line}: {m.item_id}: {m.problem}", err=True)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "run_id": result.run_id,
                    "store": str(path),
                    "imported": result.imported,
                    "mismatches": len(result.mismatches),
                },
                indent=2,
            )
        )
    else:
        click.echo(
            f"imported {result.imported} samples as run {result.run_id} "
            f"({len(result.mismatches)} skipped); stored in {path}"
        )


def _known(categories: list[str]) -> list[str]:
    """The BBQ categories spillover loads; an unknown one is reported as a mismatch."""
    from auditor.core.items import CATEGORIES

    return [c for c in categories if c in CATEGORIES] or list(CATEGORIES[:1])
