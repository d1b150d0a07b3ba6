"""The run screen's panels render their data in words (no app needed)."""

from __future__ import annotations

from auditor.core.events import ItemsScored, TrainStep
from tui.state import StageState
from tui.widgets.progress import EvalProgress
from tui.widgets.stages import StageTracker
from tui.widgets.training import train_figures

from .conftest import plain


def test_evaluation_progress_shows_counts_rate_and_eta():
    widget = EvalProgress()
    widget.show(
        {
            "baseline": ItemsScored("r", 144, 144, 4.0, 0.0),
            "aligned": ItemsScored("s", 64, 144, 3.5, 125.0),
        }
    )
    lines = plain(widget.content).splitlines()
    assert lines[0].split()[-2:] == ["144/144", "done"]  # no rate once finished
    assert "64/144" in lines[1] and lines[1].rstrip().endswith("3.5 items/s ETA 2m05s")


def test_evaluation_progress_stops_its_rate_and_eta_when_the_audit_ends():
    widget = EvalProgress()
    widget.show({"baseline": ItemsScored("s", 64, 144, 3.5, 125.0)}, stopped="cancelled")
    lines = plain(widget.content).splitlines()
    assert lines[0].split()[-2:] == ["64/144", "cancelled"]
    assert lines[1].rstrip().endswith("not run")
    assert "ETA" not in plain(widget.content) and "items/s" not in plain(widget.content)


def test_stages_say_their_status_in_words():
    widget = StageTracker()
    widget.show(
        [
            StageState("baseline", "reused", "eval-1"),
            StageState("align", "running", "[b]x[/b]"),
            StageState("aligned"),
            StageState("compare", "cancelled"),
        ]
    )
    lines = [line.split() for line in plain(widget.content).splitlines()]
    assert lines[0][:4] == ["↺", "baseline", "eval", "stored"]
    assert lines[1][:4] == ["▶", "DPO", "alignment", "running"] and lines[1][4] == "[b]x[/b]"
    assert lines[2] == ["○", "aligned", "eval", "pending"]
    assert lines[3] == ["■", "compare", "cancelled"]


def test_training_figures_name_every_metric():
    step = TrainStep(
        3, 40, 0.1, {"loss": 0.61, "rewards/margins": -0.02, "learning_rate": 4.5e-5}, eta_s=200
    )
    text = " ".join(plain(train_figures([step])).split())
    assert text == (
        "step 3/40 epoch 0.10 ETA 3m20s loss 0.6100 margin -0.0200 reward acc — lr 4.50e-05"
    )


def test_a_long_detail_never_squeezes_the_symbol_out():
    widget = StageTracker()
    widget.show(
        [
            StageState(
                "align", "reused", "/home/u/.local/share/spillover/audits/a/alignment/adapter"
            ),
            StageState("baseline", "done", "evaluating the base model on 144 items"),
        ]
    )
    lines = plain(widget.content, width=54).splitlines()  # the run screen's panel width
    assert lines[0].startswith("↺ DPO alignment  stored    /home/u/") and lines[
        0
    ].rstrip().endswith("…")
    assert lines[1].startswith("✓ baseline eval  done      evaluating")
    assert all(len(line.rstrip()) <= 54 for line in lines)


def test_stored_stages_say_stored_not_waiting():
    widget = EvalProgress()
    widget.show({"aligned": ItemsScored("s", 16, 144, 4.0, 32.0)}, stored={"baseline"})
    lines = plain(widget.content).splitlines()
    assert lines[0].split() == ["baseline", "━━━━━━━━━━━━", "—", "stored"]
    assert "16/144" in lines[1] and lines[1].rstrip().endswith("ETA 32s")
    assert plain(train_figures([], stored=True)).startswith(
        "stored: the trained adapter was reused"
    )
    assert plain(train_figures([])).startswith("waiting for the first training step")
    assert plain(train_figures([], stopped="failed")).startswith(
        "no training step ran (audit failed)"
    )


def test_a_bias_that_rounds_to_zero_has_no_sign():
    from auditor.reports.rich import bias_text
    from auditor.stats.table import BiasChange
    from tui.widgets.cellstats import bias_stats

    change = BiasChange(
        before=-0.0004,
        after=0.125,
        delta=0.1254,
        ci=(-0.0002, 0.25),
        p=0.5,
        n_non_unknown=(10, 10),
        n_clusters=4,
        n_boot=100,
        p_corrected=0.5,
        verdict="no significant change",
    )
    shown = plain(bias_text(change, show_ci=True)) + plain(bias_stats(change, "holm"))
    assert "-0.000" not in shown and "+0.000" not in shown
    assert "0.000→+0.125" in shown and "[0.000, +0.250]" in shown
    flat = BiasChange(
        before=0.25, after=0.2497, delta=-0.0003, ci=None, p=0.9, verdict="no significant change"
    )
    assert plain(bias_text(flat)).splitlines()[0].strip() == "0.000"


def test_the_cell_panel_shows_bound_margin_and_judgement_under_a_noninferiority_gate(bbq_lite):
    import random

    from auditor.audit.gate import evaluate_gate
    from auditor.audit.profiles import GateSection
    from auditor.bbq import load_bbq, sample
    from auditor.core.answers import Answer
    from auditor.stats import compare_runs
    from tui.screens.results import noninferiority_gate
    from tui.widgets.cellstats import cell_stats

    items = sample(load_bbq(bbq_lite).items, per_cell=12, seed=0)
    rng = random.Random(0)
    answers = [Answer(i.id, i.label if rng.random() < 0.7 else rng.randrange(3)) for i in items]
    table = compare_runs({i.id: i for i in items}, answers, answers, n_boot=200)
    gate = evaluate_gate(table, GateSection(mode="noninferiority", min_cell=5))
    shown = plain(cell_stats(table, "Age", "ambig", "accuracy", gate=gate))
    assert "non-inferiority: Age / ambig accuracy: upper bound" in shown
    assert "margin 5.00 pp" in shown and "inconclusive" in shown and "items needed" in shown
    assert "bias: upper bound" in plain(cell_stats(table, "Age", "ambig", "bias", gate=gate))
    assert "non-inferiority" not in plain(cell_stats(table, "Age", "ambig", "accuracy"))

    class Result:
        profile = {"gate": {"mode": "noninferiority", "min_cell": 5}}

    assert noninferiority_gate(Result(), table).judgements == gate.judgements
    Result.profile = {"gate": {"mode": "significance"}}
    assert noninferiority_gate(Result(), table) is None
