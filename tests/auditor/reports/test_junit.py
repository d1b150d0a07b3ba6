"""JUnit XML: a candidate audit's caveat and the report's notes, on real tables."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

from auditor.audit.candidates import CAVEAT
from auditor.audit.profiles import load_profile
from auditor.audit.report import candidate_subject
from auditor.reports.document import Report
from auditor.reports.junit import to_junit

DEMO = Path(__file__).resolve().parents[3] / "profiles" / "demo.toml"


def _suite(report: Report) -> ET.Element:
    return ET.fromstring(to_junit(report).split("\n", 1)[1])


def _properties(suite: ET.Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in suite.find("properties")}


def candidate_report(table) -> Report:
    """A candidate's report with the subject the candidate audit builds."""
    profile = load_profile(str(DEMO), ["candidate.target=['Gender_identity']"])
    result = SimpleNamespace(
        audit_id="audit-c1",
        candidate={"label": "1", "model": "org/candidate", "adapter": ""},
        baseline_run="run-base",
        aligned_run="run-candidate",
    )
    return Report(table, candidate_subject(result, profile))


def test_a_candidate_report_states_the_training_data_is_unknown(trajectory_tables):
    suite = _suite(candidate_report(trajectory_tables[1]))
    props = _properties(suite)
    assert props["training_data_known"] == "false" and props["caveat"] == CAVEAT
    (out,) = suite.findall("system-out")  # the suite's own, after its cases
    assert out.text == f"note: {CAVEAT}"
    assert list(suite)[-1] is out


def test_other_reports_carry_no_caveat_and_their_notes_are_shown_safely(trajectory_tables):
    plain = _suite(Report(trajectory_tables[1], {"title": "a → b"}))
    assert "caveat" not in _properties(plain) and "training_data_known" not in _properties(plain)
    assert plain.findall("system-out") == []
    noted = Report(trajectory_tables[1], {"notes": ["formats differ\x1b[31m <b>\nsecond line"]})
    text = to_junit(noted)
    assert "\x1b" not in text  # a control character never reaches the file raw
    (out,) = _suite(noted).findall("system-out")
    assert out.text == "note: formats differ\\x1b[31m <b>\\x0asecond line"  # as on the terminal
