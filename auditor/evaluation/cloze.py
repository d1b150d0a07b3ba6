"""The cloze format: a prompt no alignment data used, to tell content from format.

No options are listed and no letters are used: the prompt is the context and the
question, and each option's text is scored as its continuation (the style
lm-evaluation-harness uses for BBQ: ``"{context}\\n\\nQ: {question}\\nA:"`` then
``" {option}"``), here with BBQ's three options. Plain text, never a chat template.
Scored by the options scorer (prompt cache shared by the three options), and the answer
is the option with the highest per-token (length-normalised) log-likelihood.
"""

from __future__ import annotations

from auditor.core.items import Item

TEMPLATE = "{context}\n\nQ: {question}\nA:"


class ClozeBuilder:
    """Prompts and option continuations in the cloze format, for one tokenizer.

    It offers what the options scorer reads from a PromptBuilder: ``tokenizer``,
    ``prompt_ids`` and ``option_text``.
    """

    style = "cloze"
    template = TEMPLATE

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def prompt(self, item: Item) -> str:
        return TEMPLATE.format(context=item.context.strip(), question=item.question.strip())

    def prompt_ids(self, item: Item) -> list[int]:
        """Token ids of the prompt, with the tokenizer's own special tokens (as a plain
        text model sees a document)."""
        return self.tokenizer(self.prompt(item), add_special_tokens=True)["input_ids"]

    def option_text(self, item: Item, index: int) -> str:
        return " " + item.options[index].text.strip()
