"""DPO preference pairs from BBQ items: which items train, and chosen vs rejected answers.

An item yields pairs whose prompt is the shared prompt builder's text and whose chosen
completion is the correct option. ``rejected="all_wrong"`` pairs it with each wrong
option (two pairs per item, as the spillover paper did); ``rejected="biased"`` gives one
pair per item, rejecting the option a stereotype would pick:

- ambiguous items: the biased option (the label is "unknown", so it is always wrong);
- disambiguated items whose answer is the anti-biased option: the biased option;
- disambiguated items whose answer *is* the biased option (the context confirms the
  stereotype): the unknown option, so the pair teaches reading the context and never
  teaches disfavouring the anti-stereotyped answer;
- items whose biased option cannot be determined (``roles is None``) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from auditor.core.choices import REJECTED_MODES
from auditor.core.errors import InputError
from auditor.core.items import ATTRIBUTES, Item


class PromptSource(Protocol):
    """What preference building needs from ``auditor.evaluation.prompts.PromptBuilder``."""

    def prompt(self, item: Item) -> str: ...

    def completion(self, item: Item, index: int) -> str: ...


@dataclass(frozen=True, slots=True)
class PreferencePair:
    """One DPO example: a prompt, the completion to prefer and the one to avoid."""

    item_id: str
    prompt: str
    chosen: str
    rejected: str
    chosen_index: int
    rejected_index: int


def is_trans_item(item: Item) -> bool:
    """True for the transgender templates: a stereotyped group or option group names trans.

    In BBQ's Gender_identity these are the templates whose stereotyped groups are
    "trans"/"transgender women"/"transgender men" and whose options carry the tags
    trans, nonTrans, trans_F, ... (lite: question indices 10, 11, 12, 35, 36; 608 items).
    """
    groups = [*item.stereotyped_groups, *(o.group for o in item.options)]
    return any("trans" in g.lower() for g in groups)


def _template_excluded(item: Item, templates: frozenset[str]) -> bool:
    return (
        item.question_index in templates
        or f"{item.attribute}:{item.question_index}" in templates
        or item.template in templates
    )


def select_items(
    items: Iterable[Item],
    target: Sequence[str] = ("Gender_identity",),
    *,
    exclude_subcategories: Sequence[str] = (),
    exclude_templates: Sequence[str] = (),
    exclude_trans: bool = False,
) -> tuple[list[Item], list[Item]]:
    """Split ``items`` of the target attributes into (kept, excluded).

    ``exclude_subcategories`` match BBQ's subcategory case-insensitively;
    ``exclude_templates`` entries are a question index ("35"), an attribute-qualified
    one ("Gender_identity:35") or a full ``Item.template`` key.
    """
    unknown = [t for t in target if t not in ATTRIBUTES]
    if unknown or not target:
        raise InputError(
            f"unknown target attribute {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(ATTRIBUTES)}"
        )
    wanted = set(target)
    subcats = {s.strip().lower() for s in exclude_subcategories}
    templates = frozenset(t.strip() for t in exclude_templates)
    kept: list[Item] = []
    excluded: list[Item] = []
    for item in items:
        if item.attribute not in wanted:
            continue
        drop = (
            item.subcategory.strip().lower() in subcats
            or _template_excluded(item, templates)
            or (exclude_trans and is_trans_item(item))
        )
        (excluded if drop else kept).append(item)
    if not kept:
        raise InputError(
            f"no training items left for target {', '.join(target)}: the BBQ data holds none "
            "or the exclusions removed them all"
        )
    return kept, excluded


def rejected_indices(item: Item, mode: str) -> tuple[int, ...]:
    """Option indices to reject for ``item`` under ``mode`` (see the module docstring)."""
    if mode == "all_wrong":
        return tuple(i for i in range(len(item.options)) if i != item.label)
    if mode == "biased":
        if item.roles is None:
            return ()
        if item.roles.biased != item.label:
            return (item.roles.biased,)
        return (item.unknown_index,)
    raise InputError(f"rejected must be one of {', '.join(REJECTED_MODES)}, got {mode!r}")


def build_pairs(
    items: Iterable[Item], builder: PromptSource, *, rejected: str = "all_wrong"
) -> list[PreferencePair]:
    """Preference pairs for ``items`` in order, one per rejected option."""
    pairs: list[PreferencePair] = []
    for item in items:
        wrong = rejected_indices(item, rejected)
        if not wrong:
            continue
        prompt = builder.prompt(item)
        chosen = builder.completion(item, item.label)
        for index in wrong:
            pairs.append(
                PreferencePair(
                    item.id, prompt, chosen, builder.completion(item, index), item.label, index
                )
            )
    return pairs


def strip_duplicate_bos(prompt: str, tokenizer) -> str:
    """Drop a leading BOS text when the tokenizer adds BOS itself (trl tokenizes with it)."""
    bos = getattr(tokenizer, "bos_token", None)
    if not bos or not prompt.startswith(bos):
        return prompt
    ids = tokenizer("x")["input_ids"]
    if ids and ids[0] == tokenizer.bos_token_id:
        return prompt[len(bos) :]
    return prompt


def to_dataset(pairs: Sequence[PreferencePair], tokenizer=None):
    """A ``datasets.Dataset`` of prompt/chosen/rejected strings (trl's standard format).

    The prompt is already templated text, so trl tokenizes it as is and never applies a
    chat template; with ``tokenizer`` a BOS the tokenizer would add again is removed.
    """
    from datasets import Dataset

    prompts = [p.prompt for p in pairs]
    if tokenizer is not None:
        prompts = [strip_duplicate_bos(p, tokenizer) for p in prompts]
    return Dataset.from_dict(
        {
            "prompt": prompts,
            "chosen": [p.chosen for p in pairs],
            "rejected": [p.rejected for p in pairs],
        }
    )
