"""Option bundles shared by the audit, compare, gate and items commands."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.bbq.locate import BBQ_ENV
from auditor.cli.outputs import check_outputs
from auditor.core.choices import CORRECTIONS, GATE_CELLS, GATE_MODES
from auditor.reports.formats import FORMATS

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")  # written by reports.figure (the 'plot' extra)


class FiniteRange(click.FloatRange):
    """A float range that refuses NaN and ±inf (click's own range lets NaN through)."""

    name = "finite float range"

    def convert(self, value, param, ctx):
        import math

        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return super().convert(number, param, ctx)


def table_console():
    """A rich console for tables on stdout; off a terminal (files, CI logs) wide enough
    for every cell."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=max(console.width, 140))


def _check_store(ctx, param, value):
    from auditor.core.errors import InputError

    if value is not None and not value.strip():
        raise InputError("--store: empty path; pass --store FILE")
    return value


def store_option(func):
    return click.option("--store", "store_path", metavar="FILE", default=None,
                        callback=_check_store,
                        help="Run store (default: $SPILLOVER_STORE or the user data dir).")(func)


def open_store(path: str | None, *, must_exist: bool = False):
    """The run store; ``must_exist`` for commands that only read: opened read-only, and a
    typo is an error."""
    from auditor.core.errors import InputError
    from auditor.store.db import Store, default_store_path

    target = Path(path) if path else default_store_path()
    if must_exist and not target.is_file():
        raise InputError(f"store {target}: no such file; pass --store FILE or set "
                         "SPILLOVER_STORE (runs are stored by `spillover eval`/`audit`)")
    return Store(target, readonly=must_exist)


def report_options(func):
    """--format for stdout; --output FILE (repeatable, format from the suffix)."""
    from auditor.reports.formats import TABLE

    suffixes = " ".join(f"{f.suffixes[0]} ({f.name})" for f in TABLE)
    func = click.option(
        "--output", "outputs", multiple=True, metavar="FILE", callback=check_outputs,
        help=f"Also write the report to FILE; {suffixes} choose the format, .png .svg .pdf "
        "write the figure (a .md report links it); any other suffix takes --format. "
        "Repeatable.")(func)
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="Report format on stdout.")(func)


def gate_options(func):
    """Gate thresholds; unset flags fall back to the profile's [gate] section."""
    for decorator in reversed((
        click.option("--alpha", type=FiniteRange(0, 1, min_open=True, max_open=True),
                     default=None, help="Significance level (default: profile, 0.05)."),
        click.option("--correction", type=click.Choice(CORRECTIONS), default=None,
                     help="Multiple-comparison correction (default: profile, holm)."),
        click.option("--max-accuracy-drop", type=FiniteRange(min=0), default=None,
                     help="Largest allowed significant accuracy drop, as a fraction (0.02 = 2 pp)."),
        click.option("--max-bias-increase", type=FiniteRange(min=0), default=None,
                     help="Largest allowed significant growth of |bias score|."),
        click.option("--cells", type=click.Choice(GATE_CELLS), default=None,
                     help="Cells that count: untargeted attributes, all, or ambiguous only."),
        click.option("--min-paired", type=click.IntRange(min=1), default=None,
                     help="Refuse to judge runs pairing fewer items (default: profile, 100)."),
        click.option("--min-cell", type=click.IntRange(min=1), default=None,
                     help="Refuse to judge a checked cell with fewer paired items "
                     "(default: profile, 20)."),
        click.option("--min-seed-agreement", type=click.IntRange(min=0), default=None,
                     metavar="K",
                     help="With seed replicates, fail a degraded cell only when at least K "
                     "seeds are degraded on their own (default: profile; 0 = all seeds)."),
        click.option("--gate-mode", "mode", type=click.Choice(GATE_MODES), default=None,
                     help="significance: fail significant degradations (exit 1); "
                     "noninferiority: also pass only cells whose upper bound on degradation "
                     "lies below the margin, else exit 4 (default: profile, significance)."),
        click.option("--margin-accuracy", type=float, default=None, metavar="M",
                     help="Non-inferiority margin on an accuracy drop, as a fraction "
                     "(default: profile, 0.05)."),
        click.option("--margin-bias", type=float, default=None, metavar="M",
                     help="Non-inferiority margin on the growth of |bias score| "
                     "(default: profile, 0.10)."),
        click.option("--accuracy-margin", "accuracy_margins", multiple=True,
                     metavar="ATTRIBUTE=M", help="One attribute's accuracy margin; repeatable."),
        click.option("--bias-margin", "bias_margins", multiple=True, metavar="ATTRIBUTE=M",
                     help="One attribute's bias margin; repeatable."),
    )):
        func = decorator(func)
    return func


GATE_FLAGS = ("alpha", "correction", "max_accuracy_drop", "max_bias_increase", "cells",
              "min_paired", "min_cell", "min_seed_agreement", "mode", "margin_accuracy",
              "margin_bias", "accuracy_margins", "bias_margins")
"""The gate flags, named as the [gate] fields they override."""


def gate_flags_given(**flags) -> bool:
    return any(flags.get(name) not in (None, ()) for name in GATE_FLAGS)


def gate_section(base, **flags):
    """The profile's gate section with the flags that were given laid over it (a margin
    that is negative or not finite, or a malformed override: one line, exit 2)."""
    from dataclasses import replace

    return replace(base, **{k: flags[k] for k in GATE_FLAGS if flags.get(k) not in (None, ())})


def emit(report, fmt: str, outputs) -> None:
    """Print the report in ``fmt`` and write every --output file."""
    from auditor.reports.formats import suffix_format, write_report

    if fmt == "table":
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


def wants_flips(outputs) -> bool:
    """Whether an --output file is an HTML report (the only writer that shows the items
    that flipped)."""
    from auditor.reports.formats import suffix_format

    return any(suffix_format(o, "") == "html" for o in outputs)


def gate_exit(verdict) -> None:
    """Exit as the gate decided: 2 when it could not judge (one line saying why),
    1 with one stderr line per failing cell, 4 when nothing failed but a checked cell was
    not shown non-inferior (one line per such cell), else return (passed)."""
    import sys

    if verdict.refused:
        more = f" (and {len(verdict.refusals) - 1} more reasons)" if len(verdict.refusals) > 1 else ""
        click.echo(f"error: gate cannot judge, so it does not pass: {verdict.refusals[0]}{more}",
                   err=True)
        sys.exit(2)
    if verdict.failures:
        fail_lines(verdict)
        sys.exit(1)
    if verdict.inconclusive:
        for j in verdict.judgements:
            if j.verdict == "inconclusive":
                click.echo(f"INCONCLUSIVE {j.attribute}/{j.context} {j.metric}: {j.reason}",
                           err=True)
        sys.exit(4)
    if not verdict.passed:  # never reached: a result that did not pass says why above
        sys.exit(1)


def fail_lines(verdict) -> None:
    """One stderr line per failing cell (what a CI log shows)."""
    for failure in verdict.failures:
        click.echo(f"FAIL {failure.attribute}/{failure.context} {failure.metric}: "
                   f"{failure.reason}", err=True)


def bbq_option(func):
    """Click option ``--bbq DIR``; pass its value to `resolve_bbq_dir`."""
    return click.option(
        "--bbq",
        "bbq",
        metavar="DIR",
        default=None,
        help="BBQ data: a folder of JSONL files or hf:<dataset id> "
        f"(default: ${BBQ_ENV}, else the fetched copy).",
    )(func)


def settings_options(cls, *, skip: tuple[str, ...] = (), only: tuple[str, ...] = ()):
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
        hint, extra = hints[f.name], {}
        if hint is bool:
            extra = dict(is_flag=True)
        elif typing.get_origin(hint) is tuple:
            extra = dict(multiple=True, default=f.default, show_default=bool(f.default),
                         callback=_comma_separated, metavar="NAME")
        elif rule.choices is not None:
            extra = dict(type=click.Choice(rule.choices), default=f.default, show_default=True)
        elif hint is float:
            extra = dict(type=FiniteRange(rule.low, rule.high, min_open=rule.low_open,
                                          max_open=rule.high_open),
                         default=f.default, show_default=True)
        elif rule.low is not None or rule.high is not None:
            low = None if rule.low is None else int(rule.low) + (1 if rule.low_open else 0)
            high = None if rule.high is None else int(rule.high) - (1 if rule.high_open else 0)
            extra = dict(type=click.IntRange(low, high), default=f.default, show_default=True)
        else:
            extra = dict(type=hint, default=f.default, show_default=True)
        decorators.append(click.option(flag, f.name, help=rule.help or None, **extra))

    def apply(func):
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def _comma_separated(ctx, param, values):
    """A repeatable option whose values may also be comma-separated lists."""
    return tuple(n.strip() for v in values or () for n in v.split(",") if n.strip())
