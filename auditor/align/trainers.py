"""The trl side of the alignment methods (``auditor.align.methods``): each method's
training rows and trainer (their trl configs: ``auditor.align.trl_args``)."""

from __future__ import annotations

from auditor.align.methods import Method
from auditor.align.trl_args import _experimental


def dataset(method: Method, pairs, tokenizer, settings):
    """The training rows of ``pairs`` in the format of ``method``'s trainer.

    Paired trainers get prompt/chosen/rejected strings (``to_dataset``); KTO gets
    prompt/completion/label rows. ORPO and CPO would keep a prompt that fills
    ``max_length`` with an empty completion: such pairs are left out here, as DPO and KTO
    leave them out themselves.
    """
    from auditor.align.preferences import to_dataset

    data = to_dataset(pairs, tokenizer)
    if method.trainer == "kto":
        from datasets import Dataset

        rows = {"prompt": [], "completion": [], "label": []}
        for row in data:
            rows["prompt"] += [row["prompt"], row["prompt"]]
            rows["completion"] += [row["chosen"], row["rejected"]]
            rows["label"] += [True, False]
        return Dataset.from_dict(rows).shuffle(seed=settings.seed).flatten_indices()
    if method.trainer in ("orpo", "cpo"):
        lengths = [len(ids) for ids in tokenizer(list(data["prompt"]))["input_ids"]]
        keep = [i for i, n in enumerate(lengths) if n < settings.max_length]
        if len(keep) < len(data):
            data = data.select(keep)
    return data


def build_trainer(method: Method, loaded, dataset, args, lora, callbacks=()):
    """trl's trainer for ``method`` (not DPO: ``session.build_trainer`` builds that one)."""
    common = dict(model=loaded.model, args=args, train_dataset=dataset,
                  processing_class=loaded.tokenizer, peft_config=lora, callbacks=list(callbacks))
    if method.trainer == "kto":
        from trl import KTOTrainer

        return KTOTrainer(ref_model=None, **common)
    with _experimental():
        if method.trainer == "orpo":
            from trl.experimental.orpo import ORPOTrainer

            return ORPOTrainer(**common)
        from trl.experimental.cpo import CPOTrainer

        return CPOTrainer(**common)


def pairs_used(method: Method, trainer) -> int:
    """Preference pairs in the trainer's dataset (KTO: two rows a pair, dropped together)."""
    return len(trainer.train_dataset) // method.rows_per_pair
