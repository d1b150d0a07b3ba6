"""The trl side of the alignment methods (``auditor.align.methods``): each method's
training rows, trl config and trainer."""

from __future__ import annotations

from auditor.align.methods import Method


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


def config(method: Method, settings, output_dir: str, device: str, dtype: str, n_pairs: int = 0):
    """The trl config of ``method``'s trainer: the shared arguments plus its own."""
    from auditor.align.trl_args import dpo_config, trainer_args

    if method.trainer == "dpo":
        return dpo_config(settings, output_dir, device, dtype, n_pairs)
    common = trainer_args(settings, output_dir, device, dtype)
    if method.trainer == "kto":
        from trl import KTOConfig

        return KTOConfig(**common, beta=settings.beta, loss_type="kto",
                         desirable_weight=settings.kto_desirable_weight,
                         undesirable_weight=settings.kto_undesirable_weight,
                         precompute_ref_log_probs=False)  # fmt: skip
    with _experimental():
        if method.trainer == "orpo":
            from trl.experimental.orpo import ORPOConfig

            return ORPOConfig(**common, beta=settings.orpo_lambda, remove_unused_columns=False)
        from trl.experimental.cpo import CPOConfig

        return CPOConfig(**common, loss_type="simpo", beta=settings.simpo_beta,
                         simpo_gamma=settings.simpo_gamma, cpo_alpha=settings.cpo_alpha,
                         label_smoothing=0.0, remove_unused_columns=False)  # fmt: skip


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


class _experimental:
    """Import from ``trl.experimental`` without its notice (the modules are pinned with trl)."""

    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.filterwarnings("ignore", message=".*trl.experimental.*")
        return self

    def __exit__(self, *exc):
        return self._catch.__exit__(*exc)
