"""A candidate audit's candidates, one shown at a time: a compact ``Select`` listing them in
the audit's order (the stage tracker's and the command line's, checkpoints by step), each
with its gate verdict; it opens on the worst (cannot judge, degraded, inconclusive, then
passed; the first of equals)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Select

from auditor.core.textsafe import visible

WORST_FIRST = ("cannot judge", "degraded", "inconclusive", "passed")
STYLES = {"cannot judge": "bold red", "degraded": "bold red", "inconclusive": "yellow"}


def worst(verdicts: Sequence[str | None]) -> int:
    """The index of the worst verdict (the first of equals; 0 when none is gated)."""
    rank = {v: i for i, v in enumerate(WORST_FIRST)}
    return min(range(len(verdicts)), key=lambda i: rank.get(verdicts[i], len(rank)), default=0)


def candidate_line(result, verdict: str | None, of: int) -> Text:
    """ "candidate 2 of 3: org/model · gate degraded", as plain text (never markup, no
    control character acting)."""
    c = result.candidate or {}
    shown = f"{c.get('model', '')} + adapter {c['adapter']}" if c.get("adapter") else c.get("model")
    text = Text(f"candidate {c.get('label', '?')} of {of}: ", no_wrap=True)
    text.append(visible(shown or "?", one_line=True))  # a typed path: controls shown inert
    if c.get("step") is not None:
        text.append(f" (step {c['step']})", style="dim")
    text.append(" · ", style="dim")
    return text.append(
        f"gate {verdict}" if verdict else "not judged", style=STYLES.get(verdict, "")
    )


class CandidatePicker(Select[int]):
    """Which candidate the screen shows: ``judged`` holds (result, verdict) pairs; the
    value is an index into it (``chosen``, else the worst)."""

    def __init__(self, judged: Sequence, chosen: int | None = None, **kwargs) -> None:
        verdicts = [v for _r, v in judged]
        self.first = worst(verdicts) if chosen is None else chosen  # its value once mounted
        options = [(candidate_line(r, v, len(judged)), i) for i, (r, v) in enumerate(judged)]
        super().__init__(
            options,
            value=self.first,
            allow_blank=False,
            compact=True,
            tooltip="each candidate's table against the base (Enter opens the list)",
            **kwargs,
        )
