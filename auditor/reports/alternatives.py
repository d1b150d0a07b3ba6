"""The table under other choices, rendered: McNemar against the cluster test, and the bias
score under lm-eval's and HELM's conventions (Markdown lines and a summary line; their
CSV rows are built in ``csv_rows``)."""

from __future__ import annotations

from auditor.reports.cells import DASH, SHORT, signed
from auditor.stats.conventions import ConventionChange
from auditor.stats.table import SpilloverTable

NAMES = {"bbq": "BBQ", "lm-eval": "lm-eval", "helm": "HELM"}


def accuracy_test_name(test: str) -> str:
    """How reports name the table's accuracy test ("McNemar exact", "cluster sign-flip")."""
    return "cluster sign-flip" if test == "cluster" else f"McNemar {test}"


def summary_line(table: SpilloverTable) -> str:
    """One line: in how many cells the two accuracy tests, and the bias conventions,
    disagree ("" when the table has neither comparison)."""
    parts = []
    if table.clustering:
        differ = sum(t.differs for t in table.clustering)
        where = " (each seed on its own)" if table.seeds else ""
        parts.append(
            f"accuracy verdicts differ between McNemar and the cluster test in "
            f"{differ} of {len(table.clustering)} cells{where}"
        )
    if table.conventions:
        flagged = sum(bool(c.flagged) for c in table.conventions)
        parts.append(
            f"bias verdicts change with the convention (lm-eval, HELM) in {flagged} "
            f"of {len(table.conventions)} cells"
        )
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _change(change: ConventionChange | None) -> str:
    if change is None or change.before is None or change.after is None:
        return DASH
    return (
        f"{signed(change.before)} → {signed(change.after)}, Δ {signed(change.delta)} "
        f"{change.marker} {SHORT.get(change.verdict, change.verdict)}"
    ).replace("  ", " ")


def markdown_lines(table: SpilloverTable) -> list[str]:
    """The two comparisons as Markdown sections (none when the table has neither)."""
    lines: list[str] = []
    if table.conventions:
        lines += [
            "",
            "### Bias score under other tools' conventions",
            "",
            "The same answers scored as lm-evaluation-harness does (0.0 when no answer "
            "is biased; ambiguous score scaled by 1 − ambiguous accuracy) and as HELM "
            "does (0.0 with no non-unknown answer; ambiguous score scaled by 1 − the "
            "accuracy over the attribute's items in both contexts); each verdict is "
            "the table's with that convention's bias tests in its family. ⚑ marks a "
            "verdict that changes with the convention.",
            "",
            "| attribute | context | BBQ | lm-eval | HELM | changes |",
            "|---|---|---|---|---|---|",
        ]
        for cell in table.conventions:
            flag = ", ".join(f"⚑ {NAMES[c]}" for c in cell.flagged) or ""
            lines.append(
                f"| {cell.attribute} | {cell.context} | "
                + " | ".join(_change(cell.change(c)) for c in NAMES)
                + f" | {flag} |"
            )
    if table.clustering:
        lines += [
            "",
            "### Accuracy: McNemar or the cluster test",
            "",
            summary_line(table).split("; ")[0].rstrip(".") + ". McNemar treats the items "
            "of one template instance as independent; the exact sign-flip test over "
            "instances does not. Both are corrected in the table's family.",
        ]
        differing = [t for t in table.clustering if t.differs]
        if differing:
            lines += [
                "",
                "| attribute | context | seed | Δ | McNemar p (corrected) | cluster p "
                "(corrected) | McNemar | cluster |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for t in differing:
                lines.append(
                    f"| {t.attribute} | {t.context} | {DASH if t.seed is None else t.seed} | "
                    f"{DASH if t.delta is None else f'{100 * t.delta:+.1f} pp'} | "
                    f"{_p(t.p_mcnemar)} ({_p(t.p_corrected_mcnemar)}) | {_p(t.p_cluster)} "
                    f"({_p(t.p_corrected_cluster)}) | {SHORT.get(t.verdict_mcnemar)} | "
                    f"{SHORT.get(t.verdict_cluster)} |"
                )
    return lines


def _p(value: float | None) -> str:
    return DASH if value is None else f"{value:.2g}"
