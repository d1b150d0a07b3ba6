"""`spillover matrix` with format controls: each recipe's rotation and format transfer are
reported beside the matrix (table, JSON, Markdown), and a CSV, which cannot hold them, is
refused before any work."""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from auditor.audit.result import AuditResult
from auditor.cli import main
from auditor.core.answers import Answer
from auditor.stats import compare_runs
from auditor.stats.position import compare_rotation

CONTROLS = [
    "--set",
    'eval.orders="cyclic"',
    "--set",
    'eval.transfer=["cloze"]',
    "--set",
    'align.methods=["dpo", "orpo"]',
]
ORDERS = ("012", "120", "201")


@pytest.fixture
def grid(monkeypatch, lite_items, bbq_lite):
    """Two recipes' finished audits, each with a rotation and a cloze table, computed by
    the real statistics from synthetic answers on real BBQ rows; the grid is not run."""
    items = {i.id: i for i in list(lite_items)[:120]}
    rng = random.Random(0)
    before = [Answer(i, rng.randrange(3)) for i in items]
    results = {}
    for n, method in enumerate(("dpo", "orpo")):
        after = [a if rng.random() < 0.8 else Answer(a.item_id, rng.randrange(3)) for a in before]
        kw = dict(
            target=("Gender_identity",),
            attributes=sorted({i.attribute for i in items.values()}),
            n_boot=200,
            seed=0,
        )
        table, cloze = (
            compare_runs(items, before, after, **kw),
            compare_runs(items, after, before, **kw),
        )
        rotation = compare_rotation(
            items,
            {i: {k: Answer(i, int(k[0])) for k in ORDERS} for i in items},
            {i: {k: Answer(i, items[i].label) for k in ORDERS} for i in items},
            orders="cyclic",
            n_boot=200,
        ).to_dict()
        results[(method, ("Gender_identity",))] = AuditResult(
            f"audit-{n}",
            {},
            "a",
            "t",
            "b",
            table,
            "",
            rotation=rotation,
            transfer=cloze,
            transfer_format="cloze",
            transfer_runs={"baseline": "c", "aligned": "d"},
        )
    monkeypatch.setattr("auditor.audit.matrix.recipe_plans", lambda profile, bbq: {})
    monkeypatch.setattr("auditor.audit.matrix.run_matrix", lambda profile, **kw: results)
    return results, ["--bbq", str(bbq_lite)]


def test_json_and_markdown_carry_every_recipes_controls(grid, tmp_path):
    results, bbq = grid
    out = CliRunner().invoke(
        main,
        [
            "matrix",
            *CONTROLS,
            *bbq,
            "--store",
            str(tmp_path / "s"),
            "--format",
            "json",
            "--output",
            str(tmp_path / "m.md"),
        ],
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert set(doc["controls"]) == {"dpo → Gender_identity", "orpo → Gender_identity"}
    for (method, _), result in results.items():
        mine = doc["controls"][f"{method} → Gender_identity"]
        assert mine["rotation"] == json.loads(json.dumps(result.rotation))
        assert mine["format_transfer"]["table"] == json.loads(json.dumps(result.transfer.to_dict()))
    markdown = (tmp_path / "m.md").read_text()
    assert markdown.count("### Option-order rotation") == 2
    assert markdown.count("### Format transfer (cloze)") == 2


def test_the_table_shows_them_and_csv_is_refused_first(grid, tmp_path):
    _, bbq = grid
    out = CliRunner().invoke(main, ["matrix", *CONTROLS, *bbq, "--store", str(tmp_path / "s")])
    assert out.exit_code == 0, out.output
    assert out.stdout.count("Controls of ") == 2 and "option-order rotation" in out.stdout
    refused = CliRunner().invoke(main, ["matrix", *CONTROLS, *bbq, "--format", "csv"])
    assert refused.exit_code == 2
    assert refused.output.strip().splitlines() == [
        "error: the matrix's CSV holds no format controls (eval.orders, eval.transfer): "
        "write json, markdown or table"
    ]


def test_a_launchers_other_rank_runs_its_share_without_the_store_and_prints_nothing(
    grid, tmp_path, monkeypatch
):
    seen = []
    monkeypatch.setattr(
        "auditor.audit.matrix.run_matrix", lambda profile, **kw: seen.append(kw) or {}
    )
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    _, bbq = grid
    out = CliRunner().invoke(main, ["matrix", *CONTROLS, *bbq, "--store", str(tmp_path / "s")])
    assert out.exit_code == 0, out.output
    assert out.output == "" and not (tmp_path / "s").exists()  # rank 0 alone stores, reports
    assert [kw["store"] for kw in seen] == [None] and "reporter" not in seen[0]
