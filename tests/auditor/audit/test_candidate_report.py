"""Which candidates make a trajectory, and which stored profiles judge non-inferiority."""

from __future__ import annotations

import pytest

from auditor.audit.candidate_report import candidate_trajectory, checkpoint_series
from auditor.audit.result import noninferiority_section


@pytest.mark.parametrize(
    "steps,series",
    [
        ([8, 16, 24], True),
        ([None, 8, 16], True),  # a candidate that is no checkpoint stands aside
        ([24, 8], True),
        ([8], False),
        ([None, 8, None], False),
        ([8, 8, 16], False),  # two at one step: not one training run
        ([], False),
    ],
)
def test_checkpoints_of_one_run_are_two_or_more_distinct_steps(steps, series):
    assert checkpoint_series(steps) is series
    if not series:  # no trajectory is built from them (the tables are never read)
        assert candidate_trajectory([(step, None) for step in steps]) is None


def test_only_a_noninferiority_gate_is_returned_and_built_from_the_stored_profile():
    section = noninferiority_section({"gate": {"mode": "noninferiority", "margin_accuracy": 0.03}})
    assert section is not None and section.mode == "noninferiority"
    assert section.margin_accuracy == 0.03
    for profile in ({"gate": {"mode": "significance"}}, {"gate": "x"}, {}, None, "profile"):
        assert noninferiority_section(profile) is None
