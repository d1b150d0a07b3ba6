"""One drill-down item as rich Text: context, question, options with roles, both answers.

All BBQ text and model output goes in as plain ``Text`` segments, never as markup, so an
item containing ``[bold]`` or ``[link=...]`` shows literally.
"""

from __future__ import annotations

from rich.text import Text

from auditor.core.items import LETTERS
from auditor.core.textsafe import visible

ROLE_WORDS = {"biased": "biased", "anti_biased": "anti-biased", "unknown": "unknown"}
STATUS_STYLES = {
    "right": "green",
    "wrong": "red",
    "flipped_to_wrong": "bold red",
    "flipped_to_right": "bold green",
}


def role_word(role: str | None) -> str:
    return ROLE_WORDS.get(role, role) if role else "—"


def status_text(status: str) -> Text:
    """A status in words, e.g. 'flipped to wrong', styled; the words carry the meaning."""
    return Text(status.replace("_", " "), style=STATUS_STYLES.get(status, ""))


def _answer(label: str, item, answer, role: str | None) -> Text:
    text = Text(f"{label:<16}", style="bold")
    if answer is None:
        return text.append("not scored", style="dim")
    if answer.predicted is None:
        text.append("invalid answer", style="yellow")
    else:
        right = answer.predicted == item.label
        text.append(f"{LETTERS[answer.predicted]} ({role_word(role)})".ljust(17))
        text.append("✓ right" if right else "✗ wrong", style="green" if right else "red")
    if answer.scores:
        text.append(
            "   scores "
            + "  ".join(
                f"{letter} {score:+.3f}"
                for letter, score in zip(LETTERS, answer.scores, strict=False)
            ),
            style="dim",
        )
    if answer.text:
        text.append("\n" + " " * 16 + "output: ", style="dim").append(visible(answer.text))
    return text


def item_text(row) -> Text:
    """The full drill-down view of an ``ItemRow``."""
    item = row.item
    out = Text()
    out.append(item.id, style="bold")
    out.append(
        f"  {item.context_condition} · {item.polarity} · template {item.question_index}",
        style="dim",
    )
    if item.subcategory and item.subcategory != "None":
        out.append(" · ", style="dim").append(item.subcategory, style="dim")
    out.append("  ").append(status_text(row.status))
    out.append("\n\nContext\n", style="bold underline").append(visible(item.context))
    out.append("\n\nQuestion\n", style="bold underline").append(visible(item.question))
    out.append("\n\nOptions\n", style="bold underline")
    for index, option in enumerate(item.options):
        out.append(f"{LETTERS[index]}. ").append(visible(option.text))
        out.append(f"  [{role_word(item.role_of(index))}]", style="cyan")
        if index == item.label:
            out.append("  ← correct", style="green")
        out.append("\n")
    out.append("\n").append(_answer("base answer", item, row.before, row.before_role))
    out.append("\n").append(_answer("aligned answer", item, row.after, row.after_role))
    return out
