"""The registry of trl trainers behind the alignment methods (``auditor.align.methods``):
for each, its training rows, its trl config (``auditor.align.trl_args``) and its trainer
class. ``session.build_trainer`` builds every method's trainer through this one table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.align import trl_args
from auditor.align.methods import Method
from auditor.align.settings import AlignSettings
from auditor.core.errors import InputError


@dataclass(frozen=True)
class Trainer:
    """One trl trainer: how it gets its rows, its config and its class."""

    rows: Callable[[Any, Any, AlignSettings], Any]  # (to_dataset's pairs, tokenizer, settings)
    config: Callable[..., Any]  # (settings, output_dir, device, dtype, n_pairs, prompts)
    trainer_class: Callable[[Any, AlignSettings], type]  # (the model, settings)
    takes_ref_model: bool  # passed ``ref_model=None``: the reference is the adapter disabled


def paired_rows(data, tokenizer, settings: AlignSettings):
    """prompt/chosen/rejected strings, as ``to_dataset`` gives them (the trainer drops a
    pair whose prompt fills ``max_length``)."""
    return data


def unpaired_rows(data, tokenizer, settings: AlignSettings):
    """prompt/completion/label rows: each pair a desirable row (the chosen answer) and an
    undesirable one, as trl's ``unpair_preference_dataset`` does, shuffled with the run's
    seed so every batch mixes both (trl samples KTO data in order)."""
    from datasets import Dataset

    rows: dict[str, list] = {"prompt": [], "completion": [], "label": []}
    for row in data:
        rows["prompt"] += [row["prompt"], row["prompt"]]
        rows["completion"] += [row["chosen"], row["rejected"]]
        rows["label"] += [True, False]
    return Dataset.from_dict(rows).shuffle(seed=settings.seed).flatten_indices()


def fitting_rows(data, tokenizer, settings: AlignSettings):
    """Paired rows without those whose prompt fills ``max_length``: ORPO and CPO would keep
    them with an empty completion (DPO and KTO leave them out themselves)."""
    lengths = [len(ids) for ids in tokenizer(list(data["prompt"]))["input_ids"]]
    keep = [i for i, n in enumerate(lengths) if n < settings.max_length]
    return data.select(keep) if len(keep) < len(data) else data


def uses_shared_prompt(model, settings: AlignSettings) -> bool:
    """Whether the DPO trainer computes each prompt once (``shared_prompt``): ``auto`` where
    the model allows it; ``on`` where it does not is an input error."""
    from auditor.align.shared_prompt import unsupported

    if settings.shared_prompt == "off" or not settings.method_info.speed_switches:
        return False
    why = unsupported(model, settings.activation_checkpointing)
    if why and settings.shared_prompt == "on":
        raise InputError(f"align settings: shared_prompt is 'on' but {why}; set it to auto or off")
    return not why


def dpo_class(model, settings: AlignSettings) -> type:
    """trl's ``DPOTrainer``, or its shared-prompt subclass (``auditor.align.shared_prompt``)."""
    if uses_shared_prompt(model, settings):
        from auditor.align.shared_prompt import trainer_class

        return trainer_class()
    from trl import DPOTrainer

    return DPOTrainer


def kto_class(model, settings: AlignSettings) -> type:
    from trl import KTOTrainer

    return KTOTrainer


def orpo_class(model, settings: AlignSettings) -> type:
    with trl_args._experimental():
        from trl.experimental.orpo import ORPOTrainer

    return ORPOTrainer


def cpo_class(model, settings: AlignSettings) -> type:
    with trl_args._experimental():
        from trl.experimental.cpo import CPOTrainer

    return CPOTrainer


TRAINERS: dict[str, Trainer] = {
    "dpo": Trainer(paired_rows, trl_args.dpo_config, dpo_class, takes_ref_model=True),
    "kto": Trainer(unpaired_rows, trl_args.kto_config, kto_class, takes_ref_model=True),
    "orpo": Trainer(fitting_rows, trl_args.orpo_config, orpo_class, takes_ref_model=False),
    "cpo": Trainer(fitting_rows, trl_args.cpo_config, cpo_class, takes_ref_model=False),
}
"""Each ``Method.trainer``'s entry."""


def of(method: Method) -> Trainer:
    """The registry entry of ``method``'s trainer."""
    return TRAINERS[method.trainer]


def dataset(method: Method, pairs, tokenizer, settings: AlignSettings):
    """The training rows of ``pairs`` in the format of ``method``'s trainer."""
    from auditor.align.preferences import to_dataset

    return of(method).rows(to_dataset(pairs, tokenizer), tokenizer, settings)


def trl_config(
    settings: AlignSettings,
    output_dir: str,
    device: str,
    dtype: str,
    n_pairs: int = 0,
    prompts: int = 0,
):
    """The config of the method's trl trainer (``DPOConfig``, ``KTOConfig``, ...)."""
    return of(settings.method_info).config(settings, output_dir, device, dtype, n_pairs, prompts)


def shared_prompts(model, dataset, settings: AlignSettings) -> int:
    """The distinct prompts of ``dataset`` where the trainer computes each prompt once
    (``uses_shared_prompt``), else 0: what ``AlignSettings.speed_plan`` weighs."""
    if not len(dataset) or not uses_shared_prompt(model, settings):
        return 0
    return len(set(dataset["prompt"]))


def pairs_used(method: Method, trainer) -> int:
    """Preference pairs in the trainer's dataset (KTO: two rows a pair, dropped together)."""
    return len(trainer.train_dataset) // method.rows_per_pair
