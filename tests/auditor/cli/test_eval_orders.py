"""`spillover eval --orders`: position bias and order consistency in the run summary."""

from __future__ import annotations

import json

from click.testing import CliRunner

from auditor.cli import main


def test_eval_orders_cyclic_prints_and_stores_rotation(tmp_path, tiny_llama_dir, bbq_lite):
    store = tmp_path / "runs.sqlite"
    args = [
        "eval",
        "--model",
        str(tiny_llama_dir),
        "--device",
        "cpu",
        "--bbq",
        str(bbq_lite),
        "--sample",
        "36",
        "--store",
        str(store),
        "--orders",
        "cyclic",
    ]
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    bias, cons = data["position_bias"], data["order_consistency"]
    assert bias["n"] == 3 * cons["n"] == 3 * data["summary"]["n_items"]
    assert sum(bias["chosen"]) == bias["n"] and 0 <= bias["distance"] <= bias["max_distance"]
    assert bias["expected"] == [1 / 3] * 3 and 0 <= bias["p"] <= 1
    assert 0 <= cons["consistent"] <= cons["n"]
    table = CliRunner().invoke(main, args)  # resumes: nothing scored again
    assert table.exit_code == 0, table.output
    assert "position bias: A/B/C chosen" in table.stdout
    assert "order consistency:" in table.stdout


def test_eval_orders_refuses_generate_in_one_line(tmp_path, bbq_lite):
    result = CliRunner().invoke(
        main,
        [
            "eval",
            "--model",
            "nowhere",
            "--mode",
            "generate",
            "--orders",
            "all",
            "--bbq",
            str(bbq_lite),
            "--store",
            str(tmp_path / "s.sqlite"),
        ],
    )
    assert result.exit_code == 2
    assert "generate mode cannot be rotated" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "s.sqlite").exists()


def test_compare_of_two_rotated_runs_reports_their_rotation(tmp_path, tiny_llama_dir, bbq_lite):
    store = tmp_path / "runs.sqlite"
    base = [
        "eval",
        "--model",
        str(tiny_llama_dir),
        "--device",
        "cpu",
        "--bbq",
        str(bbq_lite),
        "--sample",
        "24",
        "--store",
        str(store),
        "--format",
        "json",
    ]
    ids = []
    for extra in (["--orders", "cyclic"], ["--orders", "cyclic", "--batch-size", "3"], []):
        result = CliRunner().invoke(main, [*base, *extra])
        assert result.exit_code == 0, result.output
        ids.append(json.loads(result.stdout)["run_id"])
    common = ["--store", str(store), "--bbq", str(bbq_lite), "--n-boot", "200", "--format", "json"]
    out = CliRunner().invoke(main, ["compare", ids[0], ids[1], *common])
    assert out.exit_code == 0, out.output
    rotation = json.loads(out.stdout)["rotation"]
    assert rotation["orders"] == "cyclic" and rotation["n_orderings"] == 3
    assert rotation["position_before"]["n"] == 3 * rotation["consistency_before"]["n"]
    plain = CliRunner().invoke(main, ["compare", ids[0], ids[2], *common])
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.stdout)["rotation"] is None
