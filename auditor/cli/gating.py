"""The gate's flags, laid over a profile's [gate] section, and its exit codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from auditor.cli.options import F, FiniteRange
from auditor.core.choices import CORRECTIONS, GATE_CELLS, GATE_MODES

if TYPE_CHECKING:
    from auditor.audit.gate import GateResult
    from auditor.audit.profiles import GateSection


def gate_options(func: F) -> F:
    """Gate thresholds; unset flags fall back to the profile's [gate] section."""
    for decorator in reversed(
        (
            click.option(
                "--alpha",
                type=FiniteRange(0, 1, min_open=True, max_open=True),
                default=None,
                help="Significance level (default: profile, 0.05).",
            ),
            click.option(
                "--correction",
                type=click.Choice(CORRECTIONS),
                default=None,
                help="Multiple-comparison correction (default: profile, holm).",
            ),
            click.option(
                "--max-accuracy-drop",
                type=FiniteRange(min=0),
                default=None,
                help="Largest allowed significant accuracy drop, as a fraction (0.02 = 2 pp).",
            ),
            click.option(
                "--max-bias-increase",
                type=FiniteRange(min=0),
                default=None,
                help="Largest allowed significant growth of |bias score|.",
            ),
            click.option(
                "--cells",
                type=click.Choice(GATE_CELLS),
                default=None,
                help="Cells that count: untargeted attributes, all, or ambiguous only.",
            ),
            click.option(
                "--min-paired",
                type=click.IntRange(min=1),
                default=None,
                help="Refuse to judge runs pairing fewer items (default: profile, 100).",
            ),
            click.option(
                "--min-cell",
                type=click.IntRange(min=1),
                default=None,
                help="Refuse to judge a checked cell with fewer paired items "
                "(default: profile, 20).",
            ),
            click.option(
                "--min-seed-agreement",
                type=click.IntRange(min=0),
                default=None,
                metavar="K",
                help="With seed replicates, fail a degraded cell only when at least K "
                "seeds are degraded on their own (default: profile; 0 = all seeds).",
            ),
            click.option(
                "--gate-mode",
                "mode",
                type=click.Choice(GATE_MODES),
                default=None,
                help="significance: fail significant degradations (exit 1); "
                "noninferiority: also pass only cells whose upper bound on degradation "
                "lies below the margin, else exit 4 (default: profile, significance).",
            ),
            click.option(
                "--margin-accuracy",
                type=float,
                default=None,
                metavar="M",
                help="Non-inferiority margin on an accuracy drop, as a fraction "
                "(default: profile, 0.05).",
            ),
            click.option(
                "--margin-bias",
                type=float,
                default=None,
                metavar="M",
                help="Non-inferiority margin on the growth of |bias score| "
                "(default: profile, 0.10).",
            ),
            click.option(
                "--accuracy-margin",
                "accuracy_margins",
                multiple=True,
                metavar="ATTRIBUTE=M",
                help="One attribute's accuracy margin; repeatable.",
            ),
            click.option(
                "--bias-margin",
                "bias_margins",
                multiple=True,
                metavar="ATTRIBUTE=M",
                help="One attribute's bias margin; repeatable.",
            ),
        )
    ):
        func = decorator(func)
    return func


GATE_FLAGS = (
    "alpha",
    "correction",
    "max_accuracy_drop",
    "max_bias_increase",
    "cells",
    "min_paired",
    "min_cell",
    "min_seed_agreement",
    "mode",
    "margin_accuracy",
    "margin_bias",
    "accuracy_margins",
    "bias_margins",
)
"""The gate flags, named as the [gate] fields they override."""


def gate_flags_given(**flags: Any) -> bool:
    return any(flags.get(name) not in (None, ()) for name in GATE_FLAGS)


def gate_section(base: GateSection, **flags: Any) -> GateSection:
    """The profile's gate section with the flags that were given laid over it (a margin
    that is negative or not finite, or a malformed override: one line, exit 2)."""
    from dataclasses import replace

    return replace(base, **{k: flags[k] for k in GATE_FLAGS if flags.get(k) not in (None, ())})


def gate_exit(verdict: GateResult | None) -> None:
    """Exit as the gate decided: 2 when it could not judge (one line saying why),
    1 with one stderr line per failing cell, 4 when nothing failed but a checked cell was
    not shown non-inferior (one line per such cell), else return (passed)."""
    import sys

    if verdict is None:  # never reached: a gated report always has a verdict
        raise ValueError("gate_exit: the report was not gated")
    if verdict.refused:
        more = (
            f" (and {len(verdict.refusals) - 1} more reasons)" if len(verdict.refusals) > 1 else ""
        )
        click.echo(
            f"error: gate cannot judge, so it does not pass: {verdict.refusals[0]}{more}", err=True
        )
        sys.exit(2)
    if verdict.failures:
        fail_lines(verdict)
        sys.exit(1)
    if verdict.inconclusive:
        for j in verdict.judgements:
            if j.verdict == "inconclusive":
                click.echo(
                    f"INCONCLUSIVE {j.attribute}/{j.context} {j.metric}: {j.reason}", err=True
                )
        sys.exit(4)
    if not verdict.passed:  # never reached: a result that did not pass says why above
        sys.exit(1)


def fail_lines(verdict: GateResult) -> None:
    """One stderr line per failing cell (what a CI log shows)."""
    for failure in verdict.failures:
        click.echo(
            f"FAIL {failure.attribute}/{failure.context} {failure.metric}: {failure.reason}",
            err=True,
        )
