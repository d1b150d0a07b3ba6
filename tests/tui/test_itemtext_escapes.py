"""BBQ text in the drill-down view never reaches the terminal as control characters."""

from __future__ import annotations

import json


def test_tui_item_text_is_escaped(tmp_path, bbq_lite):
    from auditor.audit.drilldown import ItemRow
    from auditor.bbq import load_bbq
    from tui.itemtext import item_text

    row = json.loads((bbq_lite / "Age.jsonl").read_text().splitlines()[0])
    row["question"] = "\x1b[2J" + row["question"]
    data = tmp_path / "bbq"
    data.mkdir()
    (data / "Age.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    item = load_bbq(data).items[0]
    plain = item_text(ItemRow(item, None, None, None, None, "right")).plain
    assert "\x1b" not in plain and "\\x1b[2J" in plain
