"""Control characters from BBQ text or a model never reach the terminal raw."""

from __future__ import annotations

import json

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from auditor.cli import main
from auditor.core.answers import Answer
from auditor.core.textsafe import visible
from auditor.store.db import Store

ESCAPES = "\x1b[2J\x1b[31mred\x07 \x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ \x9b1m \u202eabc"


def test_visible_escapes_every_control_character():
    shown = visible(ESCAPES)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert "\u202e" not in shown
    assert "\\x1b[2J" in shown and "\\x07" in shown and "\\u202e" in shown
    assert visible("a\nb\tc") == "a\nb\tc"
    assert visible("a\nb", one_line=True) == "a\\x0ab"
    assert visible("[bold]plain ü 日本[/]") == "[bold]plain ü 日本[/]"


@given(st.text())
def test_visible_output_has_no_control_characters(text):
    shown = visible(text)
    assert not any((ord(ch) < 32 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F for ch in shown)


def test_items_command_shows_escapes_and_json_keeps_the_text(tmp_path, bbq_lite):
    row = json.loads((bbq_lite / "Age.jsonl").read_text().splitlines()[0])
    row["context"] = row["context"] + ESCAPES
    data = tmp_path / "bbq"
    data.mkdir()
    (data / "Age.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    from auditor.bbq import load_bbq

    item = load_bbq(data).items[0]
    with Store(tmp_path / "s.sqlite") as store:
        run = store.create_or_get_run("eval", "k", total=1)
        store.add_answers(run, [item], [Answer(item.id, None, (), "said \x1b[5mhi\x07")])
        store.update_run(run, "done")
    args = ["items", run, "--store", str(tmp_path / "s.sqlite"), "--bbq", str(data)]
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 0, text.output
    assert "\x1b" not in text.stdout and "\x07" not in text.stdout
    assert "\\x1b[2J" in text.stdout and "\\x1b[5mhi" in text.stdout
    as_json = CliRunner().invoke(main, [*args, "--format", "json"])
    assert json.loads(as_json.stdout)[0]["context"] == row["context"]  # exact text kept
