"""Checkpoints of one training run given as candidates: the last carries the trajectory
of every cell over their steps, each point equal to that candidate's own table."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from auditor.audit.candidate_settings import checkpoint_step
from auditor.cli import main

from ..audit.test_candidates import save_adapter
from ..audit_fixtures import write_tiny_profile


@pytest.mark.parametrize(
    ("path", "step"),
    [
        ("run/checkpoint-12", 12),
        ("run/steps/step-3/", 3),
        ("checkpoint-0", 0),
        ("run/ckpt-12", None),
        ("run/checkpoint-12a", None),
        ("smollm2-135m", None),
    ],
)
def test_a_checkpoint_folder_names_its_step(path, step):
    assert checkpoint_step(path) == step


@pytest.fixture(scope="module")
def doc(tmp_path_factory, tiny_llama_dir, bbq_lite):
    folder = tmp_path_factory.mktemp("cand-traj")
    late = save_adapter(tiny_llama_dir, folder / "run" / "checkpoint-40", seed=2)
    early = save_adapter(tiny_llama_dir, folder / "run" / "checkpoint-20", seed=1)
    profile = write_tiny_profile(folder, tiny_llama_dir, bbq_lite)
    args = ["audit", "--profile", str(profile), "--store", str(folder / "runs.sqlite")]
    args += ["--candidate-adapter", str(late), "--candidate-adapter", str(early)]
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_last_checkpoint_carries_the_trajectory_over_every_step(doc):
    late, early = doc["candidates"]
    assert (late["candidate"]["step"], early["candidate"]["step"]) == (40, 20)
    assert "trajectory" not in early["report"]
    trajectory = late["report"]["trajectory"]
    assert trajectory["steps"] == [20, 40] and trajectory["final_step"] == 40
    tables = {20: early["report"]["table"], 40: late["report"]["table"]}
    checked = 0
    for path in trajectory["cells"]:
        for point in path["points"]:
            row = next(
                r for r in tables[point["step"]]["rows"] if r["attribute"] == path["attribute"]
            )
            cell = next(c for c in row["cells"] if c["context"] == path["context"])
            assert point["delta"] == cell[path["metric"]]["delta"]
            checked += 1
    assert checked == 2 * len(trajectory["cells"]) > 0
