"""The alignment training panel: live loss and reward-margin curves with the latest
figures, titled by the method ("KTO training"); the figures are the method's own (kto logs
``kl`` and no reward accuracy, orpo ``nll_loss`` and ``log_odds_ratio``). A figure the
step did not log reads "—"."""

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
METHOD_FIGURES = {  # the methods whose trainers log other figures than DPO's
    "kto": (FIGURES[0], FIGURES[1], ("kl", "kl", ".4f"), FIGURES[3]),
    "orpo": (
        FIGURES[0],
        ("nll_loss", "nll", ".4f"),
        ("log_odds_ratio", "log odds", "+.4f"),
        FIGURES[3],
    ),
    "simpo": (FIGURES[0], FIGURES[1], ("nll_loss", "nll", ".4f"), FIGURES[3]),
}


def figures_of(method: str) -> tuple:
    return METHOD_FIGURES.get(method, FIGURES)


def method_of(steps: list[TrainStep], default: str = "dpo") -> str:
    """The alignment method the steps come from (the latest step's)."""
    return steps[-1].method if steps else default


def train_figures(steps: list[TrainStep], stored: bool = False, stopped: str | None = None) -> Text:
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
    cells = [
        Text(f"{label} {last.metrics[key]:{fmt}}")
        if _number(last.metrics.get(key))
        else Text(f"{label} —", style="dim")
        for key, label, fmt in figures_of(last.method)
    ]
    gap = Text("  ")
    return Text("\n").join(
        [
            Text(
                f"step {last.step}/{last.total_steps}  epoch {last.epoch:.2f}  {left}",
                no_wrap=True,
                overflow="ellipsis",
            ),
            gap.join(cells[:2]),
            gap.join(cells[2:]),
        ]
    )


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def panel_title(method: str, seed: int | None = None, seeds: tuple[int, ...] = ()) -> str:
    """ "KTO training", with seed replicates "DPO training · seed 1 (2 of 3)"."""
    title = f"{method.upper()} training"
    if seed is not None and seed in seeds:
        title += f" · seed {seed} ({seeds.index(seed) + 1} of {len(seeds)})"
    return title


class TrainingPanel(Vertical):
    """Figures on top; below, loss and reward margin per step, each on its own axis
    (they differ in scale: on one axis both draw flat)."""

    def compose(self) -> ComposeResult:
        yield Static(train_figures([]), id="train-figures")
        with Horizontal(id="train-plots"):
            for index, _curve in enumerate(CURVES):
                yield PlotextPlot(id=f"train-plot-{index}", classes="train-plot")

    method = "dpo"  # the profile's, until a step names its own

    def on_mount(self) -> None:
        self.border_title = panel_title(self.method)
        self._draw([])

    def show(
        self,
        steps: list[TrainStep],
        stored: bool = False,
        stopped: str | None = None,
        seed: int | None = None,
        seeds: tuple[int, ...] = (),
    ) -> None:
        """``seed`` of ``seeds``: the replicate whose curves these are."""
        self.border_title = panel_title(method_of(steps, self.method), seed, seeds)
        self.border_subtitle = "[ ] other seeds" if len(seeds) > 1 else ""
        self.query_one("#train-figures", Static).update(train_figures(steps, stored, stopped))
        self._draw(steps)

    def _draw(self, steps: list[TrainStep]) -> None:
        for index, (key, label, marker) in enumerate(CURVES):
            plot = self.query_one(f"#train-plot-{index}", PlotextPlot)
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(label)
            points = [(s.step, s.metrics[key]) for s in steps if _number(s.metrics.get(key))]
            if points:
                xs, ys = zip(*points, strict=True)
                plt.plot(list(xs), list(ys), marker=marker)
            plot.refresh()
