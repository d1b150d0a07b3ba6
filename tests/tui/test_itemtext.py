"""Item text is never markup: BBQ text and model output render literally."""

from __future__ import annotations

import io

from rich.console import Console

from auditor.audit.drilldown import item_rows
from auditor.store.db import Store
from tui.itemtext import item_text

from .data import MARKUP, MODEL_OUTPUT


def test_markup_in_context_and_output_is_shown_literally(tui_data):
    with Store(tui_data.store_path) as store:
        rows = item_rows(
            store, tui_data.items, tui_data.run_a, tui_data.run_b, attribute="Gender_identity"
        )
    row = next(r for r in rows if r.item.id == tui_data.markup_item)
    text = item_text(row)
    assert MARKUP.strip() in text.plain and MODEL_OUTPUT in text.plain
    assert not any("link" in str(span.style) for span in text.spans)
    console = Console(file=io.StringIO(), width=200, record=True, color_system=None)
    console.print(text)
    shown = console.export_text()
    assert "[bold]Sam[/bold]" in shown and "[link=https://example.com/x]here[/link]" in shown
    assert "[link=https://evil.example]B[/link]" in shown
    assert "biased" in shown and "unknown" in shown  # option roles in words
    assert "base answer" in shown and "aligned answer" in shown and "scores A" in shown
