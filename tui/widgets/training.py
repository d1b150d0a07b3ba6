"""The DPO training panel: live loss and reward-margin curves with the latest figures."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from auditor.events import TrainStep
from auditor.timefmt import fmt_eta

FIGURES = (  # metric key, label, format
    ("loss", "loss", ".4f"),
    ("rewards/margins", "margin", "+.4f"),
    ("rewards/accuracies", "reward acc", ".3f"),
    ("learning_rate", "lr", ".2e"),
)


def train_figures(steps: list[TrainStep], stored: bool = False) -> Table:
    """Step/total, epoch, ETA and the latest metrics, each named; ``stored``: the audit
    reused a stored adapter, so no step is coming."""
    grid = Table.grid(padding=(0, 2))
    for _ in range(3):
        grid.add_column(no_wrap=True)
    if stored and not steps:
        grid.add_row(Text("stored: the trained adapter was reused, no training ran",
                          style="green"))
        return grid
    if not steps:
        grid.add_row(Text("waiting for the first training step", style="dim"))
        return grid
    last = steps[-1]
    grid.add_row(Text(f"step {last.step}/{last.total_steps}"), Text(f"epoch {last.epoch:.2f}"),
                 Text(f"ETA {fmt_eta(last.eta_s)}"))
    cells = [Text(f"{label} {last.metrics[key]:{fmt}}") if key in last.metrics
             else Text(f"{label} —", style="dim") for key, label, fmt in FIGURES]
    grid.add_row(*cells[:2], Text(""))
    grid.add_row(*cells[2:], Text(""))
    return grid


class TrainingPanel(Vertical):
    """Figures on top, the curves of loss and reward margin per step below."""

    def compose(self) -> ComposeResult:
        yield Static(train_figures([]), id="train-figures")
        yield PlotextPlot(id="train-plot")

    def on_mount(self) -> None:
        self.border_title = "DPO training"
        self._draw([])

    def show(self, steps: list[TrainStep], stored: bool = False) -> None:
        self.query_one("#train-figures", Static).update(train_figures(steps, stored))
        self._draw(steps)

    def _draw(self, steps: list[TrainStep]) -> None:
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("loss and reward margin by step")
        plt.xlabel("step")
        for key, label, marker in (("loss", "loss", "braille"), ("rewards/margins", "margin", "dot")):
            points = [(s.step, s.metrics[key]) for s in steps if key in s.metrics]
            if points:
                xs, ys = zip(*points, strict=True)
                plt.plot(list(xs), list(ys), label=label, marker=marker)
        plot.refresh()
