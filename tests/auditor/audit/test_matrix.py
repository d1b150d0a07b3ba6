"""The spillover matrix end to end on the tiny BPE Llama and BBQ-lite rows: two methods ×
two targets, each recipe an ordinary stored audit on one shared baseline; the matrix's
Δ and raw p are the audits' own, its one correction family is statsmodels' over them
all, and a rerun reuses every stage."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner
from statsmodels.stats.multitest import multipletests

from auditor.audit.grids import target_profiles
from auditor.audit.matrix import matrix_of, recipe_profiles, run_matrix, stored_results
from auditor.audit.pipeline import audit_key
from auditor.audit.profiles import build_profile, load_profile
from auditor.cli import main
from auditor.core.errors import InputError
from auditor.core.events import TrainStep
from auditor.stats.table import DEGRADED
from auditor.store.db import Store

from ..audit_fixtures import write_tiny_profile

METHODS, TARGETS = ("dpo", "orpo"), ("Gender_identity", "Age")


def _toml_list(values) -> str:
    return json.dumps(list(values))


@pytest.fixture(scope="module")
def profile(tmp_path_factory, small_llama_dir, bbq_lite):
    folder = tmp_path_factory.mktemp("matrix")
    path = write_tiny_profile(folder, small_llama_dir, bbq_lite)
    return load_profile(
        str(path),
        [
            f"align.methods={_toml_list(METHODS)}",
            f"align.targets={_toml_list(TARGETS)}",
            "align.max_steps=2",
            "data.sample=48",
        ],
    )


@pytest.fixture(scope="module")
def grid(profile, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("matrix-store") / "runs.sqlite")
    events: list = []
    results = run_matrix(profile, store=store, reporter=events.append)
    return store, results, events


def test_every_recipe_is_one_audit_on_one_shared_baseline(grid):
    store, results, events = grid
    assert list(results) == [(m, (t,)) for m in METHODS for t in TARGETS]
    assert len({r.audit_id for r in results.values()}) == 4
    assert len({r.baseline_run for r in results.values()}) == 1
    assert len(store.runs("train")) == 4 and len(store.runs("eval")) == 5
    for (method, target), result in results.items():
        train = store.run(result.train_run)
        assert train.settings["method"] == method and train.record["target"] == list(target)
        assert result.table.target == target
    assert len([e for e in events if isinstance(e, TrainStep)]) == 4 * 2


def test_matrix_cells_are_the_audits_and_one_family_spans_them(grid, profile):
    _, results, _ = grid
    matrix = matrix_of(profile, results)
    raw, where = [], []
    for result in results.values():  # the audits' own tables, read independently
        for row in result.table.to_dict()["rows"]:
            for cell in row["cells"]:
                for metric in ("accuracy", "bias"):
                    if cell[metric]["p"] is not None:
                        raw.append(cell[metric]["p"])
                        where.append((result.audit_id, row["attribute"], cell["context"], metric))
    expected = dict(zip(where, multipletests(raw, method="holm")[1], strict=True))
    assert matrix.family == len(raw) and matrix.correction == "holm"
    assert "one correction family spans the whole matrix" in matrix.family_note
    checked = 0
    for row, result in zip(matrix.rows, results.values(), strict=True):
        assert row.audit_id == result.audit_id
        degraded = 0
        for cell in row.cells:
            own = result.table.cell(cell.attribute, cell.context)
            assert cell.targeted == (cell.attribute in row.target)
            for metric in ("accuracy", "bias"):
                mine, theirs = getattr(cell, metric), getattr(own, metric)
                assert (mine.delta, mine.p) == (theirs.delta, theirs.p)
                key = (row.audit_id, cell.attribute, cell.context, metric)
                if mine.p is None:
                    assert mine.p_corrected is None
                    continue
                assert mine.p_corrected == pytest.approx(expected[key], rel=1e-12)
                checked += 1
            acc = cell.accuracy
            worse = acc.p_corrected is not None and acc.p_corrected < 0.05 and acc.delta < 0
            assert (acc.verdict == DEGRADED) == worse
            degraded += (not cell.targeted) and cell.degraded
        assert row.degraded == degraded
        assert row.untargeted == sum(not c.targeted for c in row.cells)
    assert checked == len(raw)
    assert [c for c in matrix.columns][:3] == [
        ("Gender_identity", c) for c in ("ambig", "disambig", "overall")
    ]


def test_rerun_reuses_every_stage(grid, profile):
    store, results, _ = grid
    before = {r.id for r in store.runs()}
    events: list = []
    again = run_matrix(profile, store=store, reporter=events.append)
    assert {k: r.audit_id for k, r in again.items()} == {k: r.audit_id for k, r in results.items()}
    assert {r.id for r in store.runs()} == before
    assert not [e for e in events if isinstance(e, TrainStep)]


def test_the_stored_matrix_reads_back_without_running(grid, profile):
    store, results, _ = grid
    stored = stored_results(profile, store)
    assert {k: r.audit_id for k, r in stored.items()} == {k: r.audit_id for k, r in results.items()}
    assert matrix_of(profile, stored).to_dict() == matrix_of(profile, results).to_dict()
    other = dataclasses.replace(
        profile, align=dataclasses.replace(profile.align, methods=("dpo", "simpo"))
    )
    with pytest.raises(InputError, match="recipe simpo → Gender_identity has no finished"):
        stored_results(other, store)


def test_recipes_keep_the_audit_ids_of_the_single_audits(profile):
    recipes = recipe_profiles(profile)
    plain = dataclasses.replace(profile, align=dataclasses.replace(profile.align, methods=()))
    for target, sub in target_profiles(plain).items():  # `audit` with targets, method dpo
        assert audit_key(recipes[("dpo", (target,))], "sum") == audit_key(sub, "sum")
    assert '"methods"' not in audit_key(build_profile({}), "sum")
    lone = recipe_profiles(build_profile({"align": {"methods": ["orpo"]}}))
    assert list(lone) == [("orpo", ("Gender_identity",))]
    assert audit_key(lone[("orpo", ("Gender_identity",))], "sum") == audit_key(
        build_profile({"align": {"method": "orpo"}}), "sum"
    )


def test_matrix_command_prints_and_writes_every_format(grid, profile, tmp_path):
    store, results, _ = grid
    toml = tmp_path / "matrix.toml"
    toml.write_text(_as_toml(profile))
    args = ["matrix", "--profile", str(toml), "--store", str(store.path)]
    done = CliRunner().invoke(
        main,
        [
            *args,
            "--format",
            "json",
            "--output",
            str(tmp_path / "m.md"),
            "--output",
            str(tmp_path / "m.csv"),
            "--output",
            str(tmp_path / "m.txt"),
        ],
    )
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert doc["schema"] == "spillover.matrix/1" and doc["family"] > 0
    assert [(r["method"], r["target"]) for r in doc["rows"]] == [
        (m, [t]) for m in METHODS for t in TARGETS
    ]
    assert doc["rows"][0]["audit_id"] == results[("dpo", ("Gender_identity",))].audit_id
    markdown = (tmp_path / "m.md").read_text()
    assert "dpo → Age" in markdown and "one correction family" in markdown.lower()
    lines = (tmp_path / "m.csv").read_text().splitlines()
    cells = sum(len(r["cells"]) for r in doc["rows"])
    assert lines[0].startswith("method,target,audit") and len(lines) == 1 + 2 * cells
    table = (tmp_path / "m.txt").read_text()  # the rich tables, one per context
    first = doc["rows"][0]
    assert "orpo → Gender_identity" in table
    assert f"{first['degraded']} of {first['untargeted']} degraded" in table
    assert f"Holm over all {doc['family']} tests" in table
    # refused before any work: a format the matrix has no writer for, and a gate
    bad = CliRunner().invoke(main, [*args, "--output", str(tmp_path / "m.xml")])
    assert bad.exit_code == 2 and "--output" in bad.output and not (tmp_path / "m.xml").exists()
    audit = ["audit", "--matrix", "--profile", str(toml), "--store", str(store.path)]
    gated = CliRunner().invoke(main, [*audit, "--gate"])
    assert gated.exit_code == 2 and "does not gate" in gated.output
    junit = CliRunner().invoke(main, [*audit, "--format", "junit"])
    assert junit.exit_code == 2 and "junit" in junit.output
    plain = CliRunner().invoke(main, audit[:1] + audit[2:])  # methods set, no --matrix
    assert plain.exit_code == 2 and "align.methods is set" in plain.output


def test_matrix_heatmap(grid, profile, tmp_path):
    pytest.importorskip("matplotlib")
    from auditor.reports.figure import save_matrix_figure

    _, results, _ = grid
    out = save_matrix_figure(matrix_of(profile, results), tmp_path / "m.svg", "tiny")
    text = out.read_text()
    assert "orpo → Age" in text and "Δ accuracy (pp)" in text


def test_plan_counts_the_grid_and_measures_from_the_store(grid, profile, tmp_path, bbq_lite):
    store, _, _ = grid
    toml = tmp_path / "matrix.toml"
    toml.write_text(_as_toml(profile))
    args = ["plan", "--profile", str(toml), "--bbq", str(bbq_lite), "--format", "json"]
    done = CliRunner().invoke(main, [*args, "--store", str(store.path)])
    assert done.exit_code == 0, done.output
    measured = json.loads(done.stdout)
    grid_cost = measured["grid"]
    assert (grid_cost["trainings"], grid_cost["evaluations"], grid_cost["items"]) == (4, 5, 48)
    assert grid_cost["steps"] == 2
    for method in METHODS:
        got = grid_cost["per_step"][method]
        steps = [
            store.run(r.id).record["metrics"]
            for r in store.runs("train")
            if r.settings["method"] == method
        ]
        assert got["runs"] == 2 and got["seconds"] > 0
        assert all(m["session_steps"] == 2 for m in steps)
    timings = [r.record["timing"] for r in store.runs("eval")]
    assert [t["items"] for t in timings] == [48] * 5  # each scored its items in one session
    per_item = sorted(t["seconds"] / t["items"] for t in timings)
    assert grid_cost["per_item"] == {"seconds": per_item[2], "runs": 5}  # the median
    empty = CliRunner().invoke(
        main,
        [
            "plan",
            "--profile",
            str(toml),
            "--bbq",
            str(bbq_lite),
            "--store",
            str(tmp_path / "none.sqlite"),
        ],
    )
    assert empty.exit_code == 0, empty.output
    assert "4 training(s)" in empty.output and "not measured yet" in empty.output
    assert not (tmp_path / "none.sqlite").exists()


def _as_toml(profile) -> str:
    lines = [f"name = {json.dumps(profile.name)}"]
    for section, values in profile.to_dict().items():
        if isinstance(values, dict):
            lines.append(f"[{section}]")
            lines += [
                f"{k} = {json.dumps(list(v) if isinstance(v, tuple) else v)}"
                for k, v in values.items()
            ]
    return "\n".join(lines) + "\n"
