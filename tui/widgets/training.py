"""The DPO training panel: live loss and reward-margin curves with the latest figures."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from auditor.core.events import TrainStep
from auditor.core.timefmt import fmt_eta

CURVES = (("loss", "loss", "braille"), ("rewards/margins", "margin", "braille"))
FIGURES = (  # metric key, label, format
    ("loss", "loss", ".4f"),
    ("rewards/margins", "margin", "+.4f"),
    ("rewards/accuracies", "reward acc", ".3f"),
    ("learning_rate", "lr", ".2e"),
)


def train_figures(steps: list[TrainStep], stored: bool = False,
                  stopped: str | None = None) -> Text:
    """Step/total, epoch, ETA and the latest metrics, each named, three short lines that fit
    a narrow panel; ``stored``: the audit reused a stored adapter, so no step is coming;
    ``stopped``: the audit ended ("failed"/"cancelled"), so no ETA and no waiting."""
    if stored and not steps:
        return Text("stored: the trained adapter was reused, no training ran", style="green")
    if not steps:
        if stopped:
            return Text(f"no training step ran (audit {stopped})", style="dim")
        return Text("waiting for the first training step", style="dim")
    last = steps[-1]
    left = stopped or ("done" if last.step >= last.total_steps else f"ETA {fmt_eta(last.eta_s)}")
    cells = [Text(f"{label} {last.metrics[key]:{fmt}}") if key in last.metrics
             else Text(f"{label} —", style="dim") for key, label, fmt in FIGURES]
    gap = Text("  ")
    return Text("\n").join([
        Text(f"step {last.step}/{last.total_steps}  epoch {last.epoch:.2f}  {left}",
             no_wrap=True, overflow="ellipsis"),
        gap.join(cells[:2]), gap.join(cells[2:])])


class TrainingPanel(Vertical):
    """Figures on top; below, loss and reward margin per step, each on its own axis
    (they differ in scale: on one axis both draw flat)."""

    def compose(self) -> ComposeResult:
        yield Static(train_figures([]), id="train-figures")
        with Horizontal(id="train-plots"):
            for index, _curve in enumerate(CURVES):
                yield PlotextPlot(id=f"train-plot-{index}", classes="train-plot")

    def on_mount(self) -> None:
        self.border_title = "DPO training"
        self._draw([])

    def show(self, steps: list[TrainStep], stored: bool = False,
             stopped: str | None = None) -> None:
        self.query_one("#train-figures", Static).update(train_figures(steps, stored, stopped))
        self._draw(steps)

    def _draw(self, steps: list[TrainStep]) -> None:
        for index, (key, label, marker) in enumerate(CURVES):
            plot = self.query_one(f"#train-plot-{index}", PlotextPlot)
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(label)
            points = [(s.step, s.metrics[key]) for s in steps if key in s.metrics]
            if points:
                xs, ys = zip(*points, strict=True)
                plt.plot(list(xs), list(ys), marker=marker)
            plot.refresh()
