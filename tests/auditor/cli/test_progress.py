"""The rich progress reporter: bars on a terminal, throttled plain lines otherwise."""

from __future__ import annotations

import io

from rich.console import Console

from auditor.cli.progress import ProgressReporter, fmt_eta
from auditor.core.events import ItemsScored, Message, StageFinished, StageStarted, TrainStep


def console(terminal: bool) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=terminal, width=120, color_system=None), buf


EVENTS = [
    StageStarted("baseline", "letter mode"),
    ItemsScored("eval-1", 0, 10, 0.0, None),
    ItemsScored("eval-1", 5, 10, 2.5, 2.0),
    ItemsScored("eval-1", 10, 10, 2.5, 0.0),
    StageFinished("baseline", skipped=True),
    TrainStep(1, 4, 0.25, {"loss": 0.6931, "rewards/margins": 0.0123}, 30.0),
    TrainStep(4, 4, 1.0, {"loss": 0.5}, 0.0),
    Message("resuming from [checkpoint-12]", "warning"),
]


def test_plain_lines_show_every_event_kind():
    con, buf = console(False)
    with ProgressReporter(con, interval=0) as report:
        assert not report.live
        for event in EVENTS:
            report(event)
    out = buf.getvalue()
    assert "▶ baseline  letter mode" in out
    assert "scoring 5/10  2.5 items/s  eta 2s" in out and "scoring 10/10" in out
    assert "✓ baseline (stored result reused)" in out
    assert "training 1/4  loss 0.6931  margin 0.0123  eta 30s" in out
    assert "resuming from [checkpoint-12]" in out  # brackets are not markup


def test_plain_lines_are_throttled_but_the_last_always_shows():
    con, buf = console(False)
    report = ProgressReporter(con, interval=3600)
    for done in range(0, 101):
        report(ItemsScored("eval-1", done, 100, 1.0, 100.0 - done))
    lines = buf.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == ["0/100", "100/100"]


def test_live_bars_on_a_terminal():
    con, buf = console(True)
    with ProgressReporter(con) as report:
        assert report.live
        for event in EVENTS:
            report(event)
    out = buf.getvalue()
    assert "10/10" in out and "4/4" in out and "scoring" in out and "training" in out
    assert "resuming from [checkpoint-12]" in out


def test_fmt_eta():
    assert [fmt_eta(x) for x in (None, float("inf"), 5, 65, 3725)] == [
        "?",
        "?",
        "5s",
        "1m05s",
        "1h02m",
    ]


def test_engine_text_is_never_markup():
    import io

    from rich.console import Console

    from auditor.cli.progress import ProgressReporter
    from auditor.core.events import Message, StageFinished, StageStarted

    out = io.StringIO()
    reporter = ProgressReporter(Console(file=out, width=200), live=False)
    reporter(StageStarted("align", "into /tmp/[bold]x[/]"))
    reporter(StageFinished("align", detail=r"C:\dir\[red]adapter"))
    reporter(Message("item said [link=http://x]hi[/link]", level="warning"))
    text = out.getvalue()
    assert "/tmp/[bold]x[/]" in text
    assert r"C:\dir\[red]adapter" in text
    assert "[link=http://x]hi[/link]" in text
