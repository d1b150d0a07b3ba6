"""The new audit's kind: train and audit, or compare checkpoints with their base (a
candidate audit: models or adapters on the base, several separated by commas, a path that
holds a comma in double quotes, and the attributes their alignment targeted), as
``--set`` overrides of the profile's [candidate] section."""

from __future__ import annotations

import csv
import json

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Select

from auditor.core.errors import InputError

TRAIN, COMPARE = "train", "compare"
KINDS = (("train and audit", TRAIN), ("compare with its base", COMPARE))


class AuditKind(Vertical):
    """A one-line choice of the audit's kind; comparing shows the candidate's fields."""

    def compose(self) -> ComposeResult:
        yield Select(
            KINDS,
            value=TRAIN,
            allow_blank=False,
            compact=True,
            id="kind",
            tooltip="train and audit a recipe, or compare a checkpoint trained elsewhere "
            "with its base model (no training)",
        )
        with Vertical(id="candidate-fields"):
            for field, hint in (
                ("candidate", "candidates: folder, hub id, .gguf (a, b)"),
                ("candidate-adapter", "or LoRA adapters on the base (a, b)"),
                ("candidate-target", "target attributes (optional)"),
            ):
                yield Input(
                    placeholder=hint,
                    id=field,
                    compact=True,
                    tooltip='separate several with commas; quote a path that holds a comma: "a,b"',
                )

    def on_mount(self) -> None:
        self.query_one("#candidate-fields").display = False

    def on_select_changed(self, event: Select.Changed) -> None:
        self.query_one("#candidate-fields").display = event.value == COMPARE

    @property
    def comparing(self) -> bool:
        return self.query_one("#kind", Select).value == COMPARE

    def overrides(self) -> list[str]:
        """The [candidate] section as typed, each field a comma-separated list (nothing
        when training); InputError when the comparison names no candidate."""
        if not self.comparing:
            return []
        typed = {
            key: listed(self.query_one(f"#{field}", Input).value, label)
            for key, field, label in (
                ("models", "candidate", "candidates"),
                ("adapters", "candidate-adapter", "candidate adapters"),
                ("target", "candidate-target", "target attributes"),
            )
        }
        if not typed["models"] and not typed["adapters"]:
            raise InputError("name the candidate: a model, or a LoRA adapter on the base")
        return [f"candidate.{k}={json.dumps(v)}" for k, v in typed.items() if v]


def listed(text: str, label: str) -> list[str]:
    """The values of a comma-separated field, stripped, blanks dropped; a value in double
    quotes may hold commas (CSV's rules, ``""`` a quote inside). InputError on an unclosed
    quote."""
    if text.count('"') % 2:
        raise InputError(f"{label}: a double quote is not closed in {text!r}")
    row = next(csv.reader([text], skipinitialspace=True), [])
    return [v.strip() for v in row if v.strip()]
