"""JUnit XML: one test case per attribute × context (ambig, disambig, overall), failed on
significant degradation, or (non-inferiority mode) a failure of type "inconclusive" when
the cell was not shown within its margin; the gate's rule and mode are suite properties.
A candidate audit's report adds properties ``training_data_known`` (false) and ``caveat``;
a trajectory, one property per cell naming the step it first degraded. The report's notes
(that caveat among them) and the trajectory's degraded cells are the suite's ``system-out``."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from auditor.audit.candidate_settings import CAVEAT
from auditor.audit.gate import CONTEXTS, JUDGED, evaluate_gate, regate
from auditor.audit.noninferiority import NON_INFERIOR
from auditor.audit.profiles import GateSection
from auditor.core.textsafe import visible
from auditor.reports.document import Report
from auditor.reports.judgements import line, mode_line
from auditor.stats.table import AccuracyChange, BiasChange, SpilloverTable


def to_junit(report: Report) -> str:
    table, gate = report.table, report.gate
    if gate is None:  # judged as a default gate would, on that gate's table
        section = GateSection(alpha=table.alpha, correction=table.correction)
        table = regate(table, section)
        gate = evaluate_gate(table, section)
    checked = set(gate.checked)
    suite = ET.Element("testsuite", name="spillover", tests="0", failures="0", skipped="0")
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(
        properties,
        "property",
        name="gate.rule",
        value=f"{gate.rule} ({gate.settings.get('family', 0)} tests)",
    )
    ET.SubElement(properties, "property", name="gate.mode", value=gate.mode)
    ET.SubElement(properties, "property", name="gate.mode_rule", value=mode_line(gate))
    if report.subject.get("candidate"):  # spillover cannot know what trained it
        known = str(report.subject.get("training_data_known", False)).lower()
        ET.SubElement(properties, "property", name="training_data_known", value=known)
        ET.SubElement(properties, "property", name="caveat", value=CAVEAT)
    counts = {"tests": 0, "failures": 0, "skipped": 0}
    for attribute in table.attributes:
        for context in JUDGED:
            counts["tests"] += 1
            case = ET.SubElement(
                suite, "testcase", classname=f"spillover.{attribute}", name=f"{attribute}.{context}"
            )
            cell = table.cell(attribute, context)
            if (attribute, context) not in checked or cell is None:
                counts["skipped"] += 1
                why = (
                    "target attribute (aligned on purpose): not gated"
                    if attribute in table.target
                    else "not in the gate's cells: not gated"
                )
                ET.SubElement(case, "skipped", message=why if cell else "not computed")
                continue
            failures = gate.failures_in(attribute, context)
            if failures:
                counts["failures"] += 1
                node = ET.SubElement(
                    case,
                    "failure",
                    type="spillover",
                    message="; ".join(f"{f.metric} degraded" for f in failures),
                )
                node.text = "\n".join(f.reason for f in failures)
            judged = [
                j for j in gate.judgements if (j.attribute, j.context) == (attribute, context)
            ]
            open_ = [j for j in judged if j.verdict != NON_INFERIOR]
            if open_ and not failures:
                counts["failures"] += 1
                node = ET.SubElement(
                    case,
                    "failure",
                    type="inconclusive",
                    message="; ".join(f"{j.metric} not shown non-inferior" for j in open_),
                )
                node.text = "\n".join(line(j) for j in open_)
            acc, bias = cell.accuracy, cell.bias
            ET.SubElement(case, "system-out").text = (
                f"accuracy {acc.before}→{acc.after} (b={acc.b}, c={acc.c}, "
                f"p_corrected={acc.p_corrected}{_seeds(acc)}); bias {bias.before}→{bias.after} "
                f"(p_corrected={bias.p_corrected}{_seeds(bias)})"
                + _gap_text(table, attribute, context)
                + "".join(
                    f"\nnot failed, {why}: {f.reason}"
                    for why, found in (
                        ("too few seeds agree", gate.unconfirmed),
                        ("within the allowed change", gate.tolerated),
                    )
                    for f in found
                    if (f.attribute, f.context) == (attribute, context)
                )
                + "".join(f"\n{line(j)}" for j in judged)
            )
    _controls(suite, report, counts)
    if gate.refused:  # the gate could not judge: a failing case, never a silent pass
        counts["tests"] += 1
        counts["failures"] += 1
        case = ET.SubElement(suite, "testcase", classname="spillover.gate", name="gate.judgeable")
        node = ET.SubElement(
            case, "failure", type="refused", message="the gate cannot judge, so it does not pass"
        )
        node.text = "\n".join(gate.refusals)
    out = [f"note: {visible(str(n), one_line=True)}" for n in report.subject.get("notes", ())]
    out += _trajectory(properties, report)
    if out:
        ET.SubElement(suite, "system-out").text = "\n".join(out)
    for key, value in counts.items():
        suite.set(key, str(value))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode")


def _trajectory(properties: ET.Element, report: Report) -> list[str]:
    """A trajectory's steps and, per cell, the step it first degraded (``none``: at no
    step) — and under non-inferiority the first step whose bound is not below its
    margin — as suite properties; returns the suite's line naming the degraded cells."""
    traj = report.trajectory
    if traj is None:
        return []
    from auditor.reports.trajectory import cell_label, step_label

    steps = ", ".join(step_label(traj, s) for s in traj.steps)
    ET.SubElement(properties, "property", name="trajectory.steps", value=steps)
    for path in traj.cells:
        name = f"trajectory.{path.attribute}.{path.context}.{path.metric}"
        found = [("first_degraded", path.first_degraded)]
        found += (
            [("first_inconclusive", path.first_inconclusive)] if path.margin is not None else []
        )
        for what, step in found:
            value = "none" if step is None else str(step)
            ET.SubElement(properties, "property", name=f"{name}.{what}", value=value)
    degraded = [
        f"{cell_label(p)} at step {p.first_degraded}"
        for p in traj.cells
        if p.first_degraded is not None
    ]
    return [
        f"spillover over training (steps {steps}): first degraded: "
        + ("; ".join(degraded) or "no cell at any step")
    ]


def _seeds(change: AccuracyChange | BiasChange) -> str:
    if not change.seeds:
        return ""
    deltas = ", ".join(f"seed {s.seed}: {s.delta}" for s in change.seeds)
    return f"; {change.verdict} in {change.agreement}/{len(change.seeds)} seeds; {deltas}"


def _gap_text(table: SpilloverTable, attribute: str, context: str) -> str:
    gap = next((g for g in getattr(table, "gaps", ()) if g.attribute == attribute), None)
    if context != "disambig" or gap is None:
        return ""
    return f"; bias-aligned accuracy gap {gap.before}→{gap.after} (p_corrected={gap.p_corrected})"


def _controls(suite: ET.Element, report: Report, counts: dict[str, int]) -> None:
    """Format controls as skipped cases (the gate does not judge them): one per cell of
    the format-transfer table with its reading, and the rotation's two measures."""

    def case(classname: str, name: str, message: str, out: str) -> None:
        counts["tests"] += 1
        counts["skipped"] += 1
        node = ET.SubElement(suite, "testcase", classname=classname, name=name)
        ET.SubElement(node, "skipped", message=message)
        ET.SubElement(node, "system-out").text = out

    if report.transfer is not None:
        from auditor.stats.transfer import cell_line

        for attribute in report.transfer.attributes:
            for context in CONTEXTS:
                cell = report.transfer.cell(attribute, context)
                if cell is None:
                    continue
                line = cell_line(report.transfer_readings, attribute, context)
                acc, bias = cell.accuracy, cell.bias
                case(
                    f"spillover.format_transfer.{attribute}",
                    f"{attribute}.{context}",
                    f"not gated ({report.transfer_format} format): {line}",
                    f"accuracy {acc.before}→{acc.after} (p_corrected={acc.p_corrected}); "
                    f"bias {bias.before}→{bias.after} (p_corrected={bias.p_corrected})",
                )
    if report.rotation is not None:
        from auditor.reports.rotation import change_lines

        lines = change_lines(report.rotation)
        case("spillover.rotation", "position_bias", "not gated: option-order rotation", lines[1])
        case(
            "spillover.rotation", "order_consistency", "not gated: option-order rotation", lines[2]
        )
