"""A tiny-model audit profile and a synthetic pair of runs for audit, gate and CLI tests."""

from __future__ import annotations

import random
from pathlib import Path

TINY_PROFILE = """
name = "tiny"
description = "tiny random Llama, for tests"
[model]
source = "{model}"
device = "cpu"
[data]
bbq = "{bbq}"
sample = 72
seed = 3
[eval]
mode = "letter"
batch_size = 16
[align]
target = ["Gender_identity"]
exclude_trans = true
train_sample = 12
max_steps = 4
batch_size = 4
max_length = 768
learning_rate = 5e-3
lora_r = 4
lora_alpha = 8
save_steps = 2
[stats]
n_boot = 200
[gate]
min_paired = 1  # a 72-item plumbing audit: below the safe defaults on purpose
min_cell = 1
"""


def write_tiny_profile(folder: Path, model_dir: Path, bbq_dir: Path) -> Path:
    path = folder / "tiny.toml"
    path.write_text(TINY_PROFILE.format(model=model_dir, bbq=bbq_dir))
    return path


def synthetic_runs(store, items, *, degrade: str = "Physical_appearance", seed: int = 0):
    """Two stored runs over ``items``: B equals A except that B answers every ``degrade``
    item with its biased option. Returns (run_a, run_b)."""
    first, second = planted_answers(items, accuracy=0.7, degrade=degrade, seed=seed)
    run_a = store.create_or_get_run("eval", "synthetic-a", model="synthetic", total=len(items))
    run_b = store.create_or_get_run("eval", "synthetic-b", model="synthetic", total=len(items))
    store.add_answers(run_a, items, first)
    store.add_answers(run_b, items, second)
    store.update_run(run_a, "done")
    store.update_run(run_b, "done")
    return run_a, run_b


def planted_answers(items, *, accuracy: float, degrade: str = "Physical_appearance", seed: int = 0):
    """Seeded answers to ``items``, each right with probability ``accuracy`` (else a random
    option), and the same answers with every ``degrade`` item answered with its biased
    option: a baseline and a planted degradation."""
    from auditor.core.answers import Answer

    rng = random.Random(seed)
    base = [Answer(i.id, i.label if rng.random() < accuracy else rng.randrange(3)) for i in items]
    biased = [
        Answer(a.item_id, i.roles.biased) if i.attribute == degrade and i.roles else a
        for a, i in zip(base, items, strict=True)
    ]
    return base, biased


def trajectory_tables(items):
    """Two real tables on one baseline of ``items`` (40 a cell sampled): at step 10 the same
    answers as the baseline, at step 20 every Physical_appearance item answered with its
    biased option (a degradation the trajectory and its reports must show)."""
    from auditor.bbq import sample
    from auditor.stats import compare_runs

    items = sample(list(items), per_cell=40, seed=0)
    base, biased = planted_answers(items, accuracy=0.8)
    by_id = {i.id: i for i in items}
    kwargs = dict(target=("Gender_identity",), n_boot=300)
    return compare_runs(by_id, base, base, **kwargs), compare_runs(by_id, base, biased, **kwargs)
