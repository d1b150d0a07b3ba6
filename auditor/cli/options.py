"""Option bundles shared by the audit, compare, gate and items commands."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from auditor.bbq.locate import BBQ_ENV
from auditor.cli.outputs import check_appends, check_outputs
from auditor.reports.formats import FORMATS

if TYPE_CHECKING:
    from rich.console import Console

    from auditor.reports.document import Report
    from auditor.store.db import Store

F = TypeVar("F", bound=Callable[..., Any])  # a command function, as decorated

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")  # written by reports.figure (the 'plot' extra)


class FiniteRange(click.FloatRange):
    """A float range that refuses NaN and ±inf (click's own range lets NaN through)."""

    name = "finite float range"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import math

        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return super().convert(number, param, ctx)


def table_console() -> Console:
    """A rich console for tables on stdout; off a terminal (files, CI logs) wide enough
    for every cell."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=max(console.width, 140))


def _check_store(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from auditor.core.errors import InputError

    if value is not None and not value.strip():
        raise InputError("--store: empty path; pass --store FILE")
    return value


def store_option(func: F) -> F:
    return click.option(
        "--store",
        "store_path",
        metavar="FILE",
        default=None,
        callback=_check_store,
        help="Run store (default: $SPILLOVER_STORE or the user data dir).",
    )(func)


def open_store(path: str | None, *, must_exist: bool = False) -> Store:
    """The run store; ``must_exist`` for commands that only read: opened read-only, and a
    typo is an error."""
    from auditor.core.errors import InputError
    from auditor.store.db import Store, default_store_path

    target = Path(path) if path else default_store_path()
    if must_exist and not target.is_file():
        raise InputError(
            f"store {target}: no such file; pass --store FILE or set "
            "SPILLOVER_STORE (runs are stored by `spillover eval`/`audit`)"
        )
    return Store(target, readonly=must_exist)


def report_options(func: F) -> F:
    """--format for stdout; --output FILE (repeatable, format from the suffix);
    --append-markdown FILE (repeatable, the Markdown report appended)."""
    from auditor.reports.formats import TABLE

    func = click.option(
        "--append-markdown",
        "appends",
        multiple=True,
        metavar="FILE",
        callback=check_appends,
        help="Also append the Markdown report (as --format markdown prints it) to FILE, "
        'whatever its name, e.g. "$GITHUB_STEP_SUMMARY"; creates FILE, never truncates '
        "it. Repeatable.",
    )(func)
    suffixes = " ".join(f"{f.suffixes[0]} ({f.name})" for f in TABLE)
    func = click.option(
        "--output",
        "outputs",
        multiple=True,
        metavar="FILE",
        callback=check_outputs,
        help=f"Also write the report to FILE; {suffixes} choose the format, .png .svg .pdf "
        "write the figure (a .md report links it); any other suffix takes --format. "
        "Repeatable.",
    )(func)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Report format on stdout.",
    )(func)


def emit(
    report: Report,
    fmt: str,
    outputs: Iterable[str],
    appends: Sequence[str] | None = None,
    *,
    show: bool = True,
) -> None:
    """Print the report in ``fmt`` (unless not ``show``), write every --output file and
    append the Markdown report to every --append-markdown file (``appends``; when not
    given, the running command's --append-markdown values, so no command with the option
    drops them)."""
    from auditor.reports.formats import suffix_format, write_report

    if not show:
        pass
    elif fmt == "table":
        from auditor.reports.terminal import renderables

        console = table_console()
        for part in renderables(report, console.width):
            console.print(part)
    else:
        from auditor.reports import render_report

        click.echo(render_report(report, fmt), nl=False)
    figures = [Path(o) for o in outputs if Path(o).suffix.lower() in FIGURE_SUFFIXES]
    for path in figures:  # first, so a Markdown report can link the picture
        from auditor.reports.figure import save_figure

        written = save_figure(report.table, path, report.subject.get("title", ""))
        click.echo(f"wrote {written}", err=True)
    for out in outputs:
        path = Path(out)
        if path in figures:
            continue
        fmt_out = suffix_format(path, fmt)
        doc = report
        if fmt_out == "markdown" and figures:
            import os
            from dataclasses import replace

            link = os.path.relpath(figures[0].resolve(), path.resolve().parent)
            doc = replace(report, subject={**report.subject, "figure": Path(link).as_posix()})
        written = write_report(doc, fmt_out, path)
        click.echo(f"wrote {written}", err=True)
    append_markdown((report,), _command_appends() if appends is None else appends)


def _command_appends() -> tuple[str, ...]:
    """The --append-markdown values of the click command running now (none outside one)."""
    ctx = click.get_current_context(silent=True)
    return tuple(ctx.params.get("appends", ())) if ctx is not None else ()


def append_markdown(reports: Iterable[Report], appends: Sequence[str]) -> None:
    """Append the reports' Markdown, as ``--format markdown`` prints it, to every file of
    ``appends``: one append per file of all of it."""
    if not appends:
        return
    from auditor.core.textsafe import visible
    from auditor.reports import render_report
    from auditor.reports.atomic import append_text

    texts = [render_report(r, "markdown") for r in reports]
    text = "\n".join(t if t.endswith("\n") else t + "\n" for t in texts)
    for path in appends:
        click.echo(f"appended to {visible(append_text(path, text), one_line=True)}", err=True)


def wants_flips(outputs: Iterable[str]) -> bool:
    """Whether an --output file is an HTML report (the only writer that shows the items
    that flipped)."""
    from auditor.reports.formats import suffix_format

    return any(suffix_format(o, "") == "html" for o in outputs)


def bbq_option(func: F) -> F:
    """Click option ``--bbq DIR``; pass its value to `resolve_bbq_dir`."""
    return click.option(
        "--bbq",
        "bbq",
        metavar="DIR",
        default=None,
        help="BBQ data: a folder of JSONL files or hf:<dataset id> "
        f"(default: ${BBQ_ENV}, else the fetched copy).",
    )(func)


def settings_options(
    cls: type[Any], *, skip: tuple[str, ...] = (), only: tuple[str, ...] = ()
) -> Callable[[F], F]:
    """Click options for every field of the settings dataclass ``cls`` that has a flag
    (``only``: of those named): types, ranges, choices, defaults and help all come from
    the field's declaration."""
    import dataclasses
    import typing

    from auditor.core.settings import rule_of

    hints = typing.get_type_hints(cls)
    decorators = []
    for f in dataclasses.fields(cls):
        rule = rule_of(f)
        if rule.flag == "" or f.name in skip or (only and f.name not in only):
            continue
        flag = "--" + (rule.flag or f.name.replace("_", "-"))
        hint = hints[f.name]
        extra: dict[str, typing.Any] = {}
        if hint is bool:
            extra = dict(is_flag=True)
        elif typing.get_origin(hint) is tuple:
            extra = dict(
                multiple=True,
                default=f.default,
                show_default=bool(f.default),
                callback=_comma_separated,
                metavar="NAME",
            )
        elif rule.choices is not None:
            extra = dict(type=click.Choice(rule.choices), default=f.default, show_default=True)
        elif hint is float:
            extra = dict(
                type=FiniteRange(
                    rule.low, rule.high, min_open=rule.low_open, max_open=rule.high_open
                ),
                default=f.default,
                show_default=True,
            )
        elif rule.low is not None or rule.high is not None:
            low = None if rule.low is None else int(rule.low) + (1 if rule.low_open else 0)
            high = None if rule.high is None else int(rule.high) - (1 if rule.high_open else 0)
            extra = dict(type=click.IntRange(low, high), default=f.default, show_default=True)
        else:
            extra = dict(type=hint, default=f.default, show_default=True)
        decorators.append(click.option(flag, f.name, help=rule.help or None, **extra))

    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def _comma_separated(
    ctx: click.Context, param: click.Parameter, values: Sequence[str] | None
) -> tuple[str, ...]:
    """A repeatable option whose values may also be comma-separated lists."""
    return tuple(n.strip() for v in values or () for n in v.split(",") if n.strip())
