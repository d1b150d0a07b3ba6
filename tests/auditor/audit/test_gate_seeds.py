"""The gate on a pooled table of seed replicates: seed agreement decides a FAIL."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from auditor.audit.gate import evaluate_gate
from auditor.audit.profiles import GateSection
from auditor.bbq import load_bbq, sample
from auditor.reports import render_report
from auditor.reports.document import Report
from auditor.stats.replicates import compare_replicates

from ..audit_fixtures import planted_answers


@pytest.fixture(scope="module")
def seeds_table(bbq_lite):
    """Seeds 0 and 2 answer every Physical_appearance item with its biased option; seed 1
    leaves them as the baseline answered them."""
    items = sample(load_bbq(bbq_lite).items, per_cell=40, seed=0)
    base, biased = planted_answers(items, accuracy=0.7)
    by_id = {i.id: i for i in items}
    return (
        compare_replicates(by_id, base, {0: biased, 1: base, 2: biased}, n_boot=500),
        compare_replicates(by_id, base, {0: biased, 1: biased}, n_boot=500),
    )


def test_all_seeds_must_agree_by_default(seeds_table):
    split, _ = seeds_table
    cell = split.cell("Physical_appearance", "ambig").accuracy
    assert cell.verdict == "degraded" and cell.agreement == 2 and len(cell.seeds) == 3
    result = evaluate_gate(split, GateSection())
    assert result.passed and not result.failures
    assert {f.attribute for f in result.unconfirmed} == {"Physical_appearance"}
    assert all("2/3 seeds degraded on their own" in f.reason for f in result.unconfirmed)
    assert result.to_dict()["unconfirmed"]


def test_min_seed_agreement_lowers_the_bar(seeds_table):
    split, agreeing = seeds_table
    two = evaluate_gate(split, GateSection(min_seed_agreement=2))
    assert not two.passed and {f.attribute for f in two.failures} == {"Physical_appearance"}
    assert not evaluate_gate(agreeing, GateSection()).passed


def test_more_agreement_than_seeds_is_refused(seeds_table):
    split, _ = seeds_table
    result = evaluate_gate(split, GateSection(min_seed_agreement=4))
    assert result.refused and not result.passed
    assert any("exceeds the 3 seed replicates" in r for r in result.refusals)


def test_regating_recorrects_every_seed(seeds_table):
    split, _ = seeds_table
    strict = evaluate_gate(split, GateSection(alpha=1e-300, min_seed_agreement=1))
    assert strict.passed and not strict.unconfirmed  # nothing is significant at that level


def test_reports_show_agreement(seeds_table):
    split, _ = seeds_table
    gate = evaluate_gate(split, GateSection())
    markdown = render_report(Report(split, {}, gate), "markdown")
    assert "degraded (2/3 seeds)" in markdown.replace("DEGRADED", "degraded")
    suite = ET.fromstring(render_report(Report(split, {}, gate), "junit"))
    case = next(
        c for c in suite.findall("testcase") if c.get("name") == "Physical_appearance.ambig"
    )
    assert case.find("failure") is None and "2/3 seeds" in case.find("system-out").text
    csv_text = render_report(Report(split, {}, gate), "csv")
    header = csv_text.splitlines()[0].split(",")
    assert {"seed_deltas", "agreement", "seeds"} <= set(header)


def test_seed_notes_and_the_replicate_section(seeds_table):
    from auditor.reports.cells import seed_note

    split, _ = seeds_table
    calm = split.cell("Age", "ambig")
    assert seed_note(calm.accuracy) == "" and calm.bias.delta == 0.0 and calm.bias.p == 1.0
    markdown = render_report(Report(split, {}, None), "markdown")
    section = markdown[markdown.index("### Seed replicates") :]
    line = next(
        x
        for x in section.splitlines()
        if x.startswith("| Physical_appearance | ambig | accuracy |")
    )
    cells = [c.strip() for c in line.strip("|").split("|")]
    acc = split.cell("Physical_appearance", "ambig").accuracy
    seed0 = acc.seeds[0].delta
    assert cells[3:7] == [
        f"{100 * seed0:+.1f} pp",
        "+0.0 pp",
        f"{100 * seed0:+.1f} pp",
        f"{100 * acc.delta:+.1f} pp",
    ]
    assert acc.delta == pytest.approx(2 * seed0 / 3)


def test_terminal_report_lists_the_replicates(seeds_table):
    split, _ = seeds_table
    gate = evaluate_gate(split, GateSection())
    from auditor.reports.terminal import to_text

    text = to_text(Report(split, {}, gate), width=200)
    assert "Seed replicates" in text and "seed 2" in text
    assert "not failed, too few seeds agree: Physical_appearance" in text
