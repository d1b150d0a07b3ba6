"""`spillover items`: drill into the BBQ items of a run, its failures and its flips."""

from __future__ import annotations

import json
from typing import Any

import click

from auditor.cli.options import bbq_option, open_store, store_option
from auditor.core.choices import TEXT_FORMATS
from auditor.core.items import ATTRIBUTES, CONTEXTS
from auditor.core.textsafe import visible


@click.command("items")
@click.argument("run")
@click.option("--attribute", type=click.Choice(ATTRIBUTES), default=None)
@click.option("--context", type=click.Choice(CONTEXTS), default=None)
@click.option(
    "--failing",
    "show",
    flag_value="failing",
    help="Only items answered wrong (by RUN_B when --against is given).",
)
@click.option(
    "--flipped",
    "show",
    flag_value="flipped",
    help="Only items whose correctness changed between RUN and --against.",
)
@click.option("--against", default=None, metavar="RUN_B", help="The run to compare with.")
@click.option("--limit", type=click.IntRange(min=0), default=0, help="Show at most N items.")
@click.option("--format", "fmt", type=click.Choice(TEXT_FORMATS), default="text", show_default=True)
@bbq_option
@store_option
def items_cmd(
    run: str,
    attribute: str | None,
    context: str | None,
    show: str | None,
    against: str | None,
    limit: int,
    fmt: str,
    bbq: str | None,
    store_path: str | None,
) -> None:
    """The items of RUN with context, question, options, their roles and the answers."""
    from auditor.audit.drilldown import item_rows, row_to_dict
    from auditor.audit.history import resolve_run_id, stored_items

    with open_store(store_path, must_exist=True) as store:
        run_a = resolve_run_id(store, run)
        run_b = resolve_run_id(store, against) if against else None
        items = stored_items(store, [r for r in (run_a, run_b) if r], bbq)
        rows = item_rows(
            store, items, run_a, run_b, attribute=attribute, context=context, show=show or "all"
        )
    if limit:
        rows = rows[:limit]
    if fmt == "json":
        click.echo(json.dumps([row_to_dict(r) for r in rows], indent=2, ensure_ascii=False))
        return
    for row in rows:
        click.echo(visible(_text(row_to_dict(row), run_a, run_b)))
    click.echo(f"{len(rows)} item(s)", err=True)


def _text(row: dict[str, Any], run_a: str, run_b: str | None) -> str:
    lines = [
        f"── {row['id']}  {row['context_condition']} / {row['polarity']}  [{row['status']}]",
        f"  context:  {row['context']}",
        f"  question: {row['question']}",
    ]
    for option in row["options"]:
        mark = "✓" if "ABC".index(option["letter"]) == row["label"] else " "
        lines.append(f"  {mark} {option['letter']}. {option['text']}  ({option['role'] or '?'})")
    for name, run_id in (("before", run_a), ("after", run_b)):
        answer = row[name]
        if answer is None:
            continue
        letter = answer["letter"] or "invalid"
        lines.append(
            f"  {run_id}: {letter} ({answer['role'] or '—'}, "
            f"{'right' if answer['correct'] else 'wrong'})"
            + (f"  said: {visible(answer['text'], one_line=True)}" if answer["text"] else "")
        )
    return "\n".join(lines)
