"""The Trajectory: each cell's first degraded step, from tables with known verdicts."""

from __future__ import annotations

import pytest

from auditor.audit.profiles import GateSection
from auditor.audit.trajectory import Trajectory
from auditor.bbq import load_bbq
from auditor.core.errors import InputError
from auditor.stats.table import (
    DEGRADED,
    IMPROVED,
    NO_CHANGE,
    AccuracyChange,
    BiasChange,
    Cell,
    Pairing,
    Row,
    SpilloverTable,
)

from ..audit_fixtures import trajectory_tables


def hand_table(verdicts: dict[tuple[str, str, str], str]) -> SpilloverTable:
    """Two attributes; every verdict NO_CHANGE unless ``verdicts`` names it."""
    rows = []
    for attribute in ("Gender_identity", "Age"):
        cells = []
        for context in ("ambig", "disambig", "overall"):
            acc = verdicts.get((attribute, context, "accuracy"), NO_CHANGE)
            bias = verdicts.get((attribute, context, "bias"), NO_CHANGE)
            delta = -0.2 if acc == DEGRADED else 0.1 if acc == IMPROVED else 0.0
            cells.append(
                Cell(
                    attribute,
                    context,
                    AccuracyChange(
                        n=10,
                        b=2,
                        c=0,
                        before=0.5,
                        after=0.5 + delta,
                        delta=delta,
                        ci=(delta - 0.1, delta + 0.1),
                        p_exact=None,
                        p_mid=None,
                        p_chi2=None,
                        p=0.01,
                        p_corrected=0.01,
                        marker="*" if acc != NO_CHANGE else "",
                        verdict=acc,
                    ),  # fmt: skip
                    BiasChange(0.1, 0.3, 0.2, (0.1, 0.3), 0.01, verdict=bias),
                )
            )
        rows.append(Row(attribute, attribute == "Gender_identity", tuple(cells)))
    return SpilloverTable(("Gender_identity",), ("Gender_identity", "Age"), Pairing(10, 0, 0),
                          tuple(rows))  # fmt: skip


def test_first_degraded_is_the_first_step_the_verdict_says_degraded():
    age_ambig = ("Age", "ambig", "accuracy")
    tables = [
        (30, hand_table({age_ambig: DEGRADED, ("Age", "disambig", "bias"): DEGRADED})),
        (10, hand_table({})),
        (20, hand_table({age_ambig: DEGRADED})),
        (
            40,
            hand_table({age_ambig: NO_CHANGE, ("Gender_identity", "ambig", "accuracy"): IMPROVED}),
        ),
    ]
    traj = Trajectory.from_tables(tables, final_step=40)
    assert traj.steps == (10, 20, 30, 40)
    assert traj.cell(*age_ambig).first_degraded == 20  # degraded at 20, recovered at 40
    assert [p.verdict for p in traj.cell(*age_ambig).points] == [
        NO_CHANGE, DEGRADED, DEGRADED, NO_CHANGE
    ]  # fmt: skip
    assert traj.cell("Age", "disambig", "bias").first_degraded == 30
    assert traj.cell("Gender_identity", "ambig", "accuracy").first_degraded is None  # improved
    assert traj.cell("Age", "overall", "bias") is None  # BBQ defines no overall bias score
    assert len(traj.cells) == 2 * (2 + 2 + 1)
    data = traj.to_dict()
    assert data["steps"] == [10, 20, 30, 40] and data["final_step"] == 40
    row = next(c for c in data["cells"] if (c["attribute"], c["context"]) == ("Age", "ambig")
               and c["metric"] == "accuracy")  # fmt: skip
    assert row["first_degraded"] == 20 and row["points"][1]["delta"] == pytest.approx(-0.2)


@pytest.mark.parametrize(
    ("points", "needle"),
    [
        ([], "at least one"),
        ([(1, None), (1, None)], "distinct"),
        ([(-1, None)], "integers >= 0"),
        ([(True, None)], "integers >= 0"),
    ],
)
def test_bad_points_are_refused_in_one_line(points, needle):
    table = hand_table({})
    with pytest.raises(InputError, match=needle):
        Trajectory.from_tables([(s, table) for s, _ in points])


def test_tables_of_other_cells_are_refused():
    other = SpilloverTable(("Age",), ("Age",), Pairing(10, 0, 0))
    with pytest.raises(InputError, match="step 5: its table's attributes or target differ"):
        Trajectory.from_tables([(1, hand_table({})), (5, other)])


@pytest.fixture(scope="module")
def real_tables(bbq_lite):
    """Real BBQ items and answers: step 10 answers as the baseline, step 20 answers every
    Physical_appearance item with its biased option (a degradation the tests must find)."""
    return trajectory_tables(load_bbq(bbq_lite).items)


def test_real_tables_first_degraded_matches_their_verdicts(real_tables):
    same, worse = real_tables
    traj = Trajectory.from_tables([(10, same), (20, worse)])
    for path in traj.cells:
        cell = getattr(worse.cell(path.attribute, path.context), path.metric)
        expected = 20 if cell.verdict == DEGRADED else None  # step 10: no change anywhere
        assert path.first_degraded == expected, (path.attribute, path.context, path.metric)
    assert traj.cell("Physical_appearance", "ambig", "accuracy").first_degraded == 20


def test_gate_modes_judge_every_step(real_tables):
    same, worse = real_tables
    gate = GateSection(mode="noninferiority", margin_accuracy=0.5, margin_bias=1.5)
    traj = Trajectory.from_tables([(10, same), (20, worse)], gate=gate)
    assert traj.mode == "noninferiority"
    target = traj.cell("Gender_identity", "ambig", "accuracy")
    assert target.margin is None and target.points[0].judgement == ""  # not checked
    age = traj.cell("Age", "ambig", "accuracy")
    assert age.margin == 0.5 and age.points[0].upper is not None
    assert age.first_inconclusive is None  # same answers: the bound lies below 50 pp
    pa = traj.cell("Physical_appearance", "ambig", "accuracy")
    assert pa.points[1].upper > pa.points[0].upper  # the drop raises the bound
    tight = Trajectory.from_tables(
        [(10, same), (20, worse)], gate=GateSection(mode="noninferiority", margin_accuracy=0.0)
    )
    assert tight.cell("Age", "ambig", "accuracy").first_inconclusive == 10  # nothing < 0
    sig = Trajectory.from_tables([(10, same), (20, worse)], gate=GateSection())
    assert sig.mode == "significance" and sig.cell("Age", "ambig", "accuracy").margin is None
    assert sig.cell("Gender_identity", "ambig", "accuracy").points[0].verdict == "not gated"


def test_stored_trajectories_read_back_or_fail_in_one_line():
    from types import SimpleNamespace

    from auditor.audit.trajectory import stored_trajectory

    table = hand_table({("Age", "ambig", "accuracy"): DEGRADED})
    stored = {"final_step": 9, "points": [{"step": 3, "run": "r", "table": table.to_dict()}]}
    result = SimpleNamespace(audit_id="audit-x", table=hand_table({}), trajectory=stored)
    traj = stored_trajectory(result)
    assert traj.steps == (3, 9) and traj.cell("Age", "ambig", "accuracy").first_degraded == 3
    assert stored_trajectory(SimpleNamespace(trajectory=None)) is None  # stored before it
    broken = SimpleNamespace(audit_id="audit-x", table=table, trajectory={"points": [{}]})
    with pytest.raises(InputError, match="audit audit-x: its stored trajectory cannot be read"):
        stored_trajectory(broken)
