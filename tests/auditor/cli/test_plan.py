"""`spillover plan`: per-cell items, MDE and items needed, without loading a model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from auditor.cli import main
from auditor.stats.power import mcnemar_power, mde

ROOT = Path(__file__).resolve().parents[3]


def test_plan_json_per_cell(bbq_lite):
    result = CliRunner().invoke(
        main,
        ["plan", "--profile", "ci", "--bbq", str(bbq_lite), "--effect", "0.1", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    size = json.loads(result.stdout)
    assert size["tests"] == 45 and size["level"] == 0.05 / 45
    cells = size["cells"]
    assert len(cells) == 27 and cells[0]["attribute"] == "Gender_identity"
    assert sum(c["items"] for c in cells if c["context"] == "overall") == 540  # ci's sample
    for cell in cells:
        assert cell["items"] <= cell["available"]
        assert cell["mde"] == mde(cell["items"], 0.2, size["level"])
        needed = cell["needed"]
        assert mcnemar_power(needed, 0.2, 0.1, size["level"]) >= 0.8
        assert mcnemar_power(needed - 1, 0.2, 0.1, size["level"]) < 0.8


def test_plan_table_and_bad_effect(bbq_lite):
    ok = CliRunner().invoke(main, ["plan", "--profile", "ci", "--bbq", str(bbq_lite)])
    assert ok.exit_code == 0 and "MDE" in ok.output and "needed for 5 pp" in ok.output
    bad = CliRunner().invoke(
        main, ["plan", "--profile", "ci", "--bbq", str(bbq_lite), "--effect", "0"]
    )
    assert bad.exit_code == 2 and "--effect" in bad.output


def test_plan_imports_no_model_library(bbq_lite):
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from auditor.cli import main\n"
        f"r = CliRunner().invoke(main, ['plan', '--profile', 'ci', '--bbq', {str(bbq_lite)!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = [m for m in ('torch', 'transformers', 'trl', 'peft') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_plan_with_every_item_evaluated_sizes_the_target_on_its_held_out_items(bbq_lite):
    from auditor.audit.pipeline import plan_audit
    from auditor.audit.profiles import load_profile

    result = CliRunner().invoke(
        main,
        [
            "plan",
            "--profile",
            "ci",
            "--set",
            "data.sample=0",
            "--bbq",
            str(bbq_lite),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    size = json.loads(result.stdout)
    plan = plan_audit(load_profile("ci", ["data.sample=0"]), str(bbq_lite))
    target = plan.split.train[0].attribute
    every = [i for i in plan.items.values() if i.attribute == target]
    held = [i for i in every if i.id in plan.heldout_ids]
    assert 0 < len(held) < len(every)
    cell = next(c for c in size["cells"] if c["attribute"] == target and c["context"] == "overall")
    assert (cell["items"], cell["available"]) == (len(held), len(held))
    assert cell["mde"] == mde(len(held), 0.2, size["level"]) != mde(len(every), 0.2, size["level"])
    assert cell["evaluated"] == len(every)
    assert size["grid"]["items"] == len(plan.eval_items)  # the cost: every evaluated item


def test_plan_sizes_the_noninferiority_gate_of_the_ci_profile(bbq_lite):
    from auditor.stats.noninferiority import power

    result = CliRunner().invoke(
        main,
        [
            "plan",
            "--profile",
            "ci",
            "--bbq",
            str(bbq_lite),
            "--set",
            "data.sample=5400",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    size = json.loads(result.stdout)
    assert size["mode"] == "noninferiority" and size["margin"] == 0.05
    cells = size["cells"]
    assert not any(c["checked"] for c in cells if c["attribute"] == "Gender_identity")
    checked = [c for c in cells if c["checked"]]
    assert len(checked) == 24
    for cell in checked:
        assert 0.0 <= cell["ni_power"] <= 1.0
        need = cell["ni_needed"]
        size_ = 2 if cell["context"] != "overall" else 4  # BBQ's instances: 2 items a context
        assert power(need, round(need / size_), 0.2, 0.05, 0.05) >= 0.8 - 0.01
        fewer = round(0.9 * need)
        assert power(fewer, round(fewer / size_), 0.2, 0.05, 0.05) < 0.8
    table = CliRunner().invoke(main, ["plan", "--profile", "ci", "--bbq", str(bbq_lite)])
    assert "P(non-inferior)" in table.output and "design effect 1" in table.output
