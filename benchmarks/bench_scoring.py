"""Scoring speed on BBQ: naive per-option forwards vs prefix-shared options vs letter mode,
and the prefix tree against the unshared batches.

    .venv/bin/python benchmarks/bench_scoring.py [--n 200] [--batch-size 8] [--model M]
    .venv/bin/python benchmarks/bench_scoring.py --sections prefix,lite [--prefix-mode letter]

``modes``: scores the same seeded BBQ-lite sample three ways, checks that naive and
prefix-shared option scoring choose the same options, and prints items/s and the
speed-up ratios. ``prefix``: scores the demo profile's evaluation items (``--profile``)
with and without the prefix tree, the same batch size, batch by batch alternately (so
both see the same load on a shared machine), and prints
the positions the model computed (padding included, counted at its forward), the
seconds and how many predictions agree; on CPU also the tree's attention block by block
against its dense mask, and with ``--against-batch N`` the tree at the run's batch size
against N items a batch. ``lite``: the same count for every letter prompt
of BBQ-lite, from the batch plans alone (no model). Not a test: timings depend on the
machine.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: avoids CPU stalls

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from prefix_lines import batch_line, blocks_line, exactness_line  # noqa: E402

BBQ_LITE = Path(__file__).resolve().parents[2] / "shared" / "bbq" / "lite"


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="items (default 200)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--bbq", default=os.environ.get("SPILLOVER_BBQ", str(BBQ_LITE)))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sections",
        default="modes,prefix,lite",
        help="comma list of modes, prefix, lite (default all)",
    )
    parser.add_argument("--profile", default="demo", help="prefix: whose items (default demo)")
    parser.add_argument(
        "--prefix-items",
        type=int,
        default=0,
        help="prefix: N of the profile's items, evenly spread (default all)",
    )
    parser.add_argument(
        "--prefix-mode", default="", help="prefix: scoring mode (default the profile's)"
    )
    parser.add_argument(
        "--prefix-orders",
        default="",
        help="prefix: option orders none|cyclic|all, each item scored in each (default the profile's)",
    )
    parser.add_argument(
        "--prefix-batch", type=int, default=0, help="prefix: batch size (default the profile's)"
    )
    parser.add_argument(
        "--against-batch",
        type=int,
        default=0,
        help="prefix: also time the tree at this batch size against the run's (0: no)",
    )
    parser.add_argument(
        "--fp64-items",
        type=int,
        default=24,
        help="prefix: items also scored alone in float64, the exact reference (0: none)",
    )
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    if "modes" in sections:
        modes(args)
    if "prefix" in sections:
        prefix(args)
    if "lite" in sections:
        lite(args)


def modes(args) -> None:
    import torch
    from transformers.utils import logging as hf_logging

    from auditor.bbq import load_bbq, sample
    from auditor.evaluation.prompts import PromptBuilder
    from auditor.evaluation.scoring.batching import plan_batches
    from auditor.evaluation.scoring.letter import score_letters
    from auditor.evaluation.scoring.options import naive_option_logliks, option_logliks
    from auditor.models.loading import ModelSpec, load_model

    hf_logging.disable_progress_bar()
    items = list(sample(load_bbq(args.bbq).items, n=args.n, seed=args.seed))[: args.n]
    loaded = load_model(ModelSpec(args.model, device=args.device))
    model, builder = loaded.model, PromptBuilder(loaded.tokenizer)
    prompt_ids = [builder.prompt_ids(item) for item in items]
    batches = plan_batches([len(p) for p in prompt_ids], args.batch_size)
    n = len(items)
    print(f"{args.model} on {loaded.device}/{loaded.dtype}, torch threads "
          f"{torch.get_num_threads()}, {n} items, batch {args.batch_size}, "
          f"mean prompt {sum(map(len, prompt_ids)) / n:.0f} tokens")  # fmt: skip

    def shared():
        sums, counts = torch.zeros(n, 3), torch.zeros(n, 3)
        for b in batches:
            s, c = option_logliks(model, builder, [items[i] for i in b], [prompt_ids[i] for i in b])
            sums[b], counts[b] = s, c
        return sums, counts

    def letters():
        return [
            a
            for b in batches
            for a in score_letters(
                model, builder, [items[i] for i in b], [prompt_ids[i] for i in b]
            )
        ]

    warm = batches[-1][:2]  # warm-up on a short batch
    option_logliks(model, builder, [items[i] for i in warm], [prompt_ids[i] for i in warm])
    naive_option_logliks(model, builder, [items[i] for i in warm], [prompt_ids[i] for i in warm])
    (naive_sums, naive_counts), t_naive = timed(
        lambda: naive_option_logliks(model, builder, items, prompt_ids)
    )
    (sums, counts), t_shared = timed(shared)
    _, t_letter = timed(letters)

    naive_pick = (naive_sums / naive_counts).argmax(-1)
    shared_pick = (sums / counts).argmax(-1)
    same = int((naive_pick == shared_pick).sum())
    print(f"max |naive - shared| summed log-lik: {(naive_sums - sums).abs().max():.2e}; "
          f"same choice on {same}/{n}")  # fmt: skip
    rows = [("naive per-option", t_naive), ("prefix-shared options", t_shared),
            ("letter", t_letter)]  # fmt: skip
    for name, seconds in rows:
        print(f"{name:>22}: {n / seconds:7.2f} items/s  ({seconds:.1f} s)")
    print(f"prefix-shared / naive: {t_naive / t_shared:.2f}x   "
          f"letter / naive: {t_naive / t_letter:.2f}x   "
          f"letter / prefix-shared: {t_shared / t_letter:.2f}x")  # fmt: skip
    assert torch.equal(naive_pick, shared_pick), "naive and prefix-shared choices differ"


def ratio_line(tokens_with, tokens_without, wall=None, same=None, n=None) -> str:
    """The prefix tree's line: with-tree over without-tree ratios."""
    wall_text = f"{wall:.2f}" if wall is not None else "n/a (tokens only)"
    same_text = f"{same}/{n}" if same is not None else "n/a (tokens only)"
    return (
        f"prefix tree: tokens computed ratio {tokens_with / tokens_without:.3f}, "
        f"wall ratio {wall_text}, predictions identical {same_text}"
    )


def prefix(args) -> None:
    """The demo's items scored with and without the prefix tree."""
    import torch

    from auditor.audit.pipeline import plan_audit
    from auditor.audit.profiles import load_profile
    from auditor.evaluation import scoring
    from auditor.evaluation.orders import orderings, permuted
    from auditor.evaluation.scoring import score_batch
    from auditor.evaluation.scoring.batching import plan_batches
    from auditor.evaluation.scoring.prefix_tree import prefix_batches
    from auditor.models.loading import ModelSpec, load_model
    from auditor.models.quiet import quiet_hf

    quiet_hf()
    profile = load_profile(args.profile)
    items = list(plan_audit(profile, args.bbq).eval_items)
    if args.prefix_items:  # an even spread: every k-th item (shares less than whole instances)
        items = items[:: max(1, len(items) // args.prefix_items)][: args.prefix_items]
    mode = args.prefix_mode or profile.eval.mode
    orders = args.prefix_orders or profile.eval.orders
    units = [permuted(item, perm) for item in items for perm in orderings(orders)]
    batch = args.prefix_batch or profile.eval.batch_size
    loaded = load_model(ModelSpec(profile.model.source, device=profile.model.device))
    model = loaded.model
    builder = scoring.get(mode).builder(loaded.tokenizer, profile.eval.prompt_style)
    prompts = [builder.prompt_ids(unit) for unit in units]  # as the evaluation builds them
    fed = [0]

    def count(module, args, kwargs):
        fed[0] += kwargs["input_ids"].numel()

    model.register_forward_pre_hook(count, with_kwargs=True)

    plans = {
        False: plan_batches([len(p) for p in prompts], batch),
        True: prefix_batches(prompts, batch),
    }  # as many batches, of the same sizes
    answers: dict = {False: {}, True: {}}
    seconds, positions = {False: 0.0, True: 0.0}, {False: 0, True: 0}
    cpu = {False: 0.0, True: 0.0}  # the process's CPU seconds: less swayed by other load
    warm = list(range(min(4, len(units))))
    for shared in (False, True):
        score_batch(
            mode,
            model,
            builder,
            [units[i] for i in warm],
            [prompts[i] for i in warm],
            shared=shared,
        )
    for i in range(len(plans[False])):  # alternating batch by batch: both see the same load
        for shared in (False, True) if i % 2 else (True, False):
            b = plans[shared][i]
            before, start, cpu_start = fed[0], time.perf_counter(), time.process_time()
            scored = score_batch(
                mode, model, builder, [units[k] for k in b], [prompts[k] for k in b], shared=shared
            )
            answers[shared].update(zip(b, scored, strict=True))  # by unit: orderings share ids
            seconds[shared] += time.perf_counter() - start
            cpu[shared] += time.process_time() - cpu_start
            positions[shared] += fed[0] - before
        if (i + 1) % 10 == 0:
            print(f"  {i + 1}/{len(plans[False])} batches", file=sys.stderr, flush=True)
    plain, tree = answers[False], answers[True]
    t_plain, t_tree = seconds[False], seconds[True]
    n_plain, n_tree = positions[False], positions[True]
    same = sum(plain[k].predicted == tree[k].predicted for k in plain)
    gap = max(
        (abs(x - y) for k in plain for x, y in zip(plain[k].scores, tree[k].scores, strict=True)),
        default=0.0,
    )
    alone = units[: min(24, len(units))]  # fp32's floor: the unshared batch vs one item alone
    floor = 0.0
    for k in range(len(alone)):
        (single,) = score_batch(mode, model, builder, [units[k]], [prompts[k]])
        floor = max(
            [floor, *(abs(x - y) for x, y in zip(single.scores, plain[k].scores, strict=True))]
        )
    print(
        f"{args.profile} profile's {len(items)} items"
        + (f" in {len(units) // len(items)} option orders ({orders})" if orders != "none" else "")
        + f", {profile.model.source} on "
        f"{loaded.device}/{loaded.dtype}, {mode} mode, batch {batch}, torch threads "
        f"{torch.get_num_threads()}: without the tree {n_plain} positions in {t_plain:.1f} s, "
        f"with it {n_tree} in {t_tree:.1f} s; largest score difference {gap:.1e} (the unshared "
        f"batch against one-item forwards, first {len(alone)}: {floor:.1e}); CPU "
        f"{cpu[False]:.1f} s and {cpu[True]:.1f} s (ratio {cpu[True] / cpu[False]:.2f})"
    )
    print(ratio_line(n_tree, n_plain, t_tree / t_plain, same, len(units)))
    if args.fp64_items:
        print(exactness_line(mode, model, builder, units, prompts, plain, tree, args.fp64_items))
    if loaded.device == "cpu":
        print(blocks_line(mode, model, builder, units, prompts, plans[True]))
    if args.against_batch:
        print(batch_line(mode, model, builder, units, prompts, batch, args.against_batch))


def lite(args) -> None:
    """Every BBQ-lite letter prompt (SmolLM2's chat template): positions from the plans."""
    from auditor.bbq import load_bbq
    from auditor.evaluation.prompts import PromptBuilder
    from auditor.evaluation.scoring.batching import plan_batches
    from auditor.evaluation.scoring.prefix_tree import (
        PACKED_WIDTH,
        Tree,
        padded_positions,
        prefix_batches,
        tree_positions,
        unique_tokens,
    )
    from auditor.models.loading import load_tokenizer

    items = sorted(load_bbq(args.bbq).items, key=lambda it: it.id)
    builder = PromptBuilder(load_tokenizer(args.model))
    prompts = [builder.prompt_ids(item) for item in items]
    plain = padded_positions(prompts, plan_batches([len(p) for p in prompts], args.batch_size))
    batches = prefix_batches(prompts, args.batch_size)
    tree = tree_positions(prompts, batches)
    widest = max(Tree([prompts[i] for i in b]).positions() for b in batches)
    tokens = sum(map(len, prompts))
    print(
        f"BBQ-lite: {len(items)} letter prompts, {tokens} tokens, batch {args.batch_size}: "
        f"without the tree {plain} positions (padding included), with it {tree}; "
        f"the token trie's floor {unique_tokens(prompts)}; the widest batch's tree {widest} "
        f"tokens (packed forwards hold {PACKED_WIDTH})"
    )
    print(ratio_line(tree, plain))


if __name__ == "__main__":
    main()
