"""JUnit XML: a candidate audit's caveat, the report's notes and a trajectory's first
degraded steps, on real tables."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

from auditor.audit.candidates import CAVEAT
from auditor.audit.profiles import GateSection, load_profile
from auditor.audit.report import candidate_subject
from auditor.audit.trajectory import Trajectory
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


def test_a_trajectory_names_each_cells_first_degraded_step(trajectory_tables):
    same, worse = trajectory_tables
    traj = Trajectory.from_tables([(10, same), (20, worse)], final_step=20)
    suite = _suite(Report(worse, {}, trajectory=traj))
    props = _properties(suite)
    assert props["trajectory.steps"] == "10, 20 (final)"
    firsts = {k: v for k, v in props.items() if k.endswith(".first_degraded")}
    assert len(firsts) == len(traj.cells)
    for path in traj.cells:
        key = f"trajectory.{path.attribute}.{path.context}.{path.metric}.first_degraded"
        assert firsts[key] == ("none" if path.first_degraded is None else "20")
    assert firsts["trajectory.Physical_appearance.ambig.accuracy.first_degraded"] == "20"
    assert not any(k.endswith("first_inconclusive") for k in props)  # significance mode
    (out,) = suite.findall("system-out")
    degraded = [p for p in traj.cells if p.first_degraded is not None]
    assert out.text.startswith("spillover over training (steps 10, 20 (final)): first degraded: ")
    assert out.text.count(" at step 20") == len(degraded) > 0
    assert int(suite.get("tests")) == int(_suite(Report(worse, {})).get("tests"))  # no new cases


def test_a_noninferiority_trajectory_names_each_checked_cells_first_bound_over_margin(
    trajectory_tables,
):
    same, worse = trajectory_tables
    gate = GateSection(mode="noninferiority", margin_accuracy=0.0)
    traj = Trajectory.from_tables([(10, same), (20, worse)], gate=gate, final_step=20)
    props = _properties(_suite(Report(worse, {}, trajectory=traj)))
    checked = [p for p in traj.cells if p.margin is not None]
    assert checked and len([k for k in props if k.endswith(".first_inconclusive")]) == len(checked)
    age = props["trajectory.Age.ambig.accuracy.first_inconclusive"]
    assert age == str(traj.cell("Age", "ambig", "accuracy").first_inconclusive) == "10"
    assert "trajectory.Gender_identity.ambig.accuracy.first_inconclusive" not in props  # target
