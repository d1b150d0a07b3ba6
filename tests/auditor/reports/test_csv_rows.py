"""The CSV report: every row built by column name against the one header, each value in
its column (read back by name and checked against the tables it came from)."""

from __future__ import annotations

import csv
import io
import random

import pytest

from auditor.audit.profiles import GateSection
from auditor.bbq import sample
from auditor.core.answers import Answer
from auditor.evaluation.orders import order_key, orderings
from auditor.reports import csv_rows
from auditor.reports.csv_rows import HEADER, report_rows, to_csv
from auditor.reports.document import Report
from auditor.stats import compare_runs
from auditor.stats.alternatives import with_alternatives
from auditor.stats.position import compare_rotation
from auditor.stats.replicates import compare_replicates

TARGET = ("Gender_identity",)


def _answers(items, rng, *, right: float, biased: str = ""):
    """Seeded answers: right with probability ``right``, else any option; every item of
    the ``biased`` attribute answered with its biased option."""
    out = []
    for i in items:
        if i.attribute == biased and i.roles:
            out.append(Answer(i.id, i.roles.biased))
        else:
            out.append(Answer(i.id, i.label if rng.random() < right else rng.randrange(3)))
    return out


def _orders(items, rng):
    """Answers in the three cyclic option orders, in each item's own indices."""
    return {
        i.id: {order_key(p): Answer(i.id, i.label if rng.random() < 0.6 else p[1]) for p in
               orderings("cyclic")}
        for i in items
    }  # fmt: skip


@pytest.fixture(scope="module")
def reports(lite_items):
    """Real BBQ rows, seeded answers: one report with every kind of row (seed replicates,
    conventions, gaps, the format transfer, rotation per seed), one with a single rotation."""
    items = sample(list(lite_items.values()), per_cell=12, seed=0)
    by_id = {i.id: i for i in items}
    rng = random.Random(0)
    before = _answers(items, rng, right=0.7)
    seeds = {0: _answers(items, rng, right=0.7, biased="Age"), 1: _answers(items, rng, right=0.7)}
    kwargs = dict(target=TARGET, n_boot=200)
    table = compare_replicates(by_id, before, seeds, **kwargs)
    table = with_alternatives(table, by_id, before, seeds)
    transfer = compare_runs(by_id, before, _answers(items, rng, right=0.5), **kwargs)
    rot = compare_rotation(by_id, _orders(items, rng), _orders(items, rng), orders="cyclic",
                           n_boot=200).to_dict()  # fmt: skip
    full = Report(table, transfer=transfer, rotation={"seeds": {"0": rot, "1": rot}})
    return full, Report(transfer, rotation=rot)


def _read(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames) == HEADER
    return list(reader)


def test_every_row_is_keyed_by_header_columns(reports):
    full, single = reports
    kinds = set()
    for report in reports:
        for row in report_rows(report):
            assert set(row) <= set(HEADER), set(row) - set(HEADER)
            kinds.add(row["table"])
    assert kinds == {
        "spillover",
        "spillover:bias_gap",
        "spillover:conventions",
        "format_transfer",
        "format_transfer:bias_gap",
        "rotation",
        "rotation:seed0",
        "rotation:seed1",
    }


def test_values_land_in_their_named_columns(reports):
    full, single = reports
    rows = _read(to_csv(full))
    table = full.table
    spill = [r for r in rows if r["table"] == "spillover"]
    assert len(spill) == 6 * len(table.attributes)  # accuracy and bias in each context
    for r in spill:
        cell = table.cell(r["attribute"], r["context"])
        change = getattr(cell, r["metric"])
        assert r["is_target"] == str(r["attribute"] in TARGET)
        assert r["n"] == str(cell.accuracy.n) and r["verdict"] == change.verdict
        assert r["delta"] == ("" if change.delta is None else repr(change.delta))
        assert r["p_corrected"] == ("" if change.p_corrected is None else repr(change.p_corrected))
        assert r["seeds"] == "2" and r["agreement"] == str(change.agreement)
        assert r["seed_deltas"].count(";") == 1
        if r["metric"] == "accuracy":
            assert (r["b"], r["c"]) == (str(change.b), str(change.c))
        else:
            assert r["b"] == r["c"] == r["mde"] == ""
    for r in (r for r in rows if r["table"] == "spillover:conventions"):
        cell = next(
            c
            for c in table.conventions
            if (c.attribute, c.context) == (r["attribute"], r["context"])
        )
        change = cell.change(r["metric"].removeprefix("bias:"))
        assert r["verdict"] == change.verdict and r["n"] == r["b"] == ""
        assert r["after"] == ("" if change.after is None else repr(change.after))
    gaps = {g.attribute: g for g in table.gaps}
    for r in (r for r in rows if r["table"] == "spillover:bias_gap"):
        gap = gaps[r["attribute"]]
        assert r["n"] == str(gap.n_biased + gap.n_anti_biased) and r["verdict"] == ""
        assert r["marker"] == gap.marker
    rot = full.rotation["seeds"]["0"]
    (pos,) = [r for r in rows if (r["table"], r["metric"]) == ("rotation:seed0", "position_bias")]
    assert pos["before"] == repr(rot["position_before"]["distance"]) and pos["is_target"] == ""
    assert pos["p"] == ("" if rot["distance_p"] is None else repr(rot["distance_p"]))
    (con,) = [r for r in _read(to_csv(single)) if r["metric"] == "order_consistency"]
    assert (con["b"], con["c"], con["table"]) == (str(rot["b"]), str(rot["c"]), "rotation")
    assert con["ci_low"] == con["p_corrected"] == con["verdict"] == ""


def test_a_row_with_a_column_the_header_lacks_is_refused(reports, monkeypatch):
    def stray(table, name):
        yield {"attribute": "Age", "colum": 1}

    monkeypatch.setattr(csv_rows, "table_rows", stray)
    with pytest.raises(ValueError, match="colum"):
        to_csv(reports[1])


def test_a_trajectory_adds_rows_by_step_and_only_then_the_step_column(trajectory_tables):
    from auditor.audit.trajectory import Trajectory

    same, worse = trajectory_tables
    gate = GateSection(mode="noninferiority", margin_accuracy=0.0)
    traj = Trajectory.from_tables([(10, same), (20, worse)], gate=gate, final_step=20)
    plain = to_csv(Report(worse))
    text = to_csv(Report(worse, trajectory=traj))
    lines, before = text.splitlines(), plain.splitlines()
    assert lines[0] == before[0] + ",step" and plain.splitlines()[0] == ",".join(HEADER)
    assert lines[1 : len(before)] == [line + "," for line in before[1:]]  # the rest unchanged
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["table"] == "trajectory"]
    assert len(rows) == len(lines) - len(before)
    for path in traj.cells:
        mine = [r for r in rows if (r["attribute"], r["context"]) == (path.attribute, path.context)]
        steps = [r for r in mine if r["metric"] == path.metric]
        assert [r["step"] for r in steps] == ["10", "20"]
        for r, point in zip(steps, path.points, strict=True):
            assert r["delta"] == ("" if point.delta is None else repr(point.delta))
            assert (r["verdict"], r["marker"]) == (point.verdict, point.marker)
            assert r["is_target"] == str(path.is_target) and r["p"] == r["n"] == ""
        (first,) = [r for r in mine if r["metric"] == f"{path.metric}:first_degraded"]
        assert first["step"] == ("" if path.first_degraded is None else str(path.first_degraded))
        bound = [r for r in mine if r["metric"] == f"{path.metric}:first_inconclusive"]
        assert len(bound) == (path.margin is not None)
        if bound:
            assert bound[0]["step"] == str(path.first_inconclusive or "")
    (pa,) = [r for r in rows if (r["attribute"], r["context"], r["metric"]) ==
             ("Physical_appearance", "ambig", "accuracy:first_degraded")]  # fmt: skip
    assert pa["step"] == "20"
