"""Content-vs-format controls in a real (tiny) audit: option-order rotation and the cloze
format transfer, stored, read back and reported in every format."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from auditor.audit.history import load_audit
from auditor.audit.pipeline import audit_key, run_audit
from auditor.audit.profiles import build_profile, load_profile
from auditor.audit.report import with_controls
from auditor.core.events import StageFinished
from auditor.reports import render_report
from auditor.reports.document import Report
from auditor.stats.transfer import BOTH, NEITHER, TRAINED_ONLY, read_pair
from auditor.store.db import Store

from ..audit_fixtures import write_tiny_profile

CONTROLS = ['eval.orders="cyclic"', 'eval.transfer=["cloze"]']


@pytest.fixture(scope="module")
def controlled(tmp_path_factory, small_llama_dir, bbq_lite):
    folder = tmp_path_factory.mktemp("controls")
    profile = load_profile(str(write_tiny_profile(folder, small_llama_dir, bbq_lite)), CONTROLS)
    events = []
    store = Store(folder / "runs.sqlite")
    return profile, store, run_audit(profile, store=store, reporter=events.append), events


def test_new_fields_at_their_defaults_keep_the_audit_key():
    """An audit stored before eval.orders/eval.transfer existed keeps its key: at their
    defaults they are not in it."""
    plain = json.loads(audit_key(build_profile({}), "x"))["profile"]["eval"]
    assert "orders" not in plain and "transfer" not in plain
    assert plain == {"mode": "letter", "batch_size": 8, "prompt_style": "auto", "max_new_tokens": 8}
    rotated = json.loads(audit_key(build_profile({"eval": {"orders": "cyclic"}}), "x"))
    assert rotated["profile"]["eval"]["orders"] == "cyclic"


def test_profile_refuses_rotating_generate_and_unknown_formats():
    from auditor.core.errors import InputError

    with pytest.raises(InputError, match="generate mode cannot be rotated"):
        build_profile({"eval": {"mode": "generate", "orders": "all"}})
    with pytest.raises(InputError, match="unknown format 'mcq'"):
        build_profile({"eval": {"transfer": ["mcq"]}})


def test_audit_scores_every_ordering_and_both_formats(controlled):
    profile, store, result, events = controlled
    stages = [e.stage for e in events if isinstance(e, StageFinished)]
    assert stages == [
        "baseline",
        "baseline (cloze)",
        "align",
        "aligned",
        "aligned (cloze)",
        "compare",
    ]
    n = result.table.pairing.n_paired
    assert n == 72
    for run in (result.baseline_run, result.aligned_run):
        assert store.run(run).settings["orders"] == "cyclic"
        by_order = store.order_answers(run)
        assert len(by_order) == 72 and {len(v) for v in by_order.values()} == {3}
    rot = result.rotation
    assert rot["orders"] == "cyclic" and rot["n_orderings"] == 3
    assert rot["position_before"]["n"] == rot["position_after"]["n"] == 3 * n
    assert rot["consistency_before"]["n"] == n
    assert rot["b"] + rot["c"] <= n and 0 <= rot["consistency_p"] <= 1
    assert rot["distance_delta"] == pytest.approx(
        rot["position_after"]["distance"] - rot["position_before"]["distance"]
    )
    runs = result.transfer_runs
    assert {store.run(r).mode for r in runs.values()} == {"cloze"}
    assert store.run(runs["aligned"]).adapter == store.run(result.aligned_run).adapter
    assert result.transfer_format == "cloze" and result.transfer.complete
    assert result.transfer.pairing.n_paired == n


def test_stored_audit_reads_back_with_its_controls(controlled):
    _, store, result, _ = controlled
    loaded = load_audit(store, result.audit_id)
    assert loaded.rotation == json.loads(json.dumps(result.rotation))
    assert loaded.transfer.to_dict() == result.transfer.to_dict()
    assert loaded.transfer_runs == result.transfer_runs


def test_rerun_reuses_the_format_transfer_runs(controlled):
    profile, store, result, _ = controlled
    events = []
    again = run_audit(profile, store=store, reporter=events.append)
    skipped = {e.stage for e in events if isinstance(e, StageFinished) and e.skipped}
    assert skipped == {"baseline", "baseline (cloze)", "align", "aligned", "aligned (cloze)"}
    assert again.transfer.to_dict() == result.transfer.to_dict()


def test_readings_per_cell():
    assert read_pair("degraded", "degraded") == BOTH
    assert read_pair("improved", "no significant change") == TRAINED_ONLY
    assert read_pair("no significant change", "no significant change") == NEITHER
    assert read_pair("improved", "degraded") == "opposite in the two formats"
    assert read_pair("no significant change", "improved") == "only in the untrained format"
    assert read_pair("degraded", "undefined") == "undefined"


def test_reports_carry_the_controls(controlled):
    _, _, result, _ = controlled
    report = with_controls(Report(result.table, {"title": "t"}, None, result.target_all), result)
    assert len(report.transfer_readings) == 9 * 5  # 9 attributes × (2 + 2 + 1) metrics
    data = json.loads(render_report(report, "json"))
    assert data["schema"] == "spillover.report/2"
    assert data["rotation"]["orders"] == "cyclic"
    ft = data["format_transfer"]
    assert ft["format"] == "cloze" and ft["table"]["schema"] == result.transfer.to_dict()["schema"]
    assert {r["reading"] for r in ft["readings"]} <= {
        BOTH,
        TRAINED_ONLY,
        NEITHER,
        "only in the untrained format",
        "opposite in the two formats",
        "undefined",
    }
    text = render_report(report, "table")
    assert "Format transfer" in text and "order consistency:" in text
    md = render_report(report, "markdown")
    assert "### Format transfer (cloze)" in md and "### Option-order rotation" in md
    assert "- **Age / ambig**: accuracy: " in md
    rows = list(csv.DictReader(io.StringIO(render_report(report, "csv"))))
    assert {r["table"] for r in rows} >= {"spillover", "format_transfer", "rotation"}
    html = render_report(report, "html")
    assert "<h2>Format transfer (cloze)</h2>" in html and "<h2>Option-order rotation</h2>" in html
    assert "<h2>Bias-aligned accuracy gap" in html and "<td>Age</td>" in html
    suite = ET.fromstring(render_report(report, "junit").split("\n", 1)[1])
    names = [c.get("classname") for c in suite.iter("testcase")]
    assert any(n.startswith("spillover.format_transfer") for n in names)
