"""The prefix section's further lines (``bench_scoring.py --sections prefix``): the tree
at another batch size, its attention block by block against the dense mask, and both
float32 paths against float64. Each times its two sides alternately, so both see the
same load on a shared machine. Not a test."""

from __future__ import annotations

import time


def tree_scores(mode, model, builder, units, prompts, batch) -> list:
    """One batch scored on the prefix tree (indices of ``units`` and ``prompts``)."""
    from auditor.evaluation.scoring import score_batch

    return score_batch(
        mode, model, builder, [units[k] for k in batch], [prompts[k] for k in batch], shared=True
    )


def batch_line(mode, model, builder, units, prompts, batch: int, against: int) -> str:
    """The tree at ``batch`` items a batch against ``against``, a quarter of each plan in
    turn (both see the same load)."""
    from auditor.evaluation.scoring import branched
    from auditor.evaluation.scoring.prefix_tree import packed_positions, prefix_batches

    sizes = (batch, against)
    plans = {n: prefix_batches(prompts, n) for n in sizes}
    width = branched.packed_width(model)
    positions = {
        n: sum(packed_positions([prompts[k] for k in b], width) for b in plans[n]) for n in sizes
    }
    answers: dict = {n: {} for n in sizes}
    seconds = dict.fromkeys(sizes, 0.0)
    for quarter in range(4):
        for n in sizes if quarter % 2 else sizes[::-1]:
            part = plans[n][quarter * len(plans[n]) // 4 : (quarter + 1) * len(plans[n]) // 4]
            start = time.perf_counter()
            for b in part:
                scored = tree_scores(mode, model, builder, units, prompts, b)
                answers[n].update(zip(b, scored, strict=True))
            seconds[n] += time.perf_counter() - start
    ours, theirs = answers[batch], answers[against]
    same = sum(ours[k].predicted == theirs[k].predicted for k in ours)
    return (
        f"prefix tree, batch {batch} against batch {against} (trees up to {width} tokens): "
        f"{positions[batch]} positions against {positions[against]} (ratio "
        f"{positions[batch] / positions[against]:.3f}), {seconds[batch]:.1f} s against "
        f"{seconds[against]:.1f} s (wall ratio {seconds[batch] / seconds[against]:.2f}), "
        f"predictions identical {same}/{len(ours)}"
    )


def blocks_line(mode, model, builder, units, prompts, plan) -> str:
    """The tree's batches again, its attention block by block (as on CPU) against its
    dense mask, batch by batch alternately."""
    from auditor.evaluation.scoring import branched, prefix_tree
    from auditor.evaluation.scoring.prefix_tree import Tree, packed_groups
    from auditor.models.block_attention import blocks_of

    answers: dict = {False: {}, True: {}}
    seconds = {False: 0.0, True: 0.0}
    try:
        for i, b in enumerate(plan):
            for blocks in (False, True) if i % 2 else (True, False):
                branched.BLOCK_ATTENTION = blocks
                start = time.perf_counter()
                scored = tree_scores(mode, model, builder, units, prompts, b)
                seconds[blocks] += time.perf_counter() - start
                answers[blocks].update(zip(b, scored, strict=True))
    finally:
        branched.BLOCK_ATTENTION = True
    allowed = computed = pairs = blocks = trees = 0
    for b in plan:  # the query-key pairs each way over the block path's trees
        seqs = [prompts[k] for k in b]
        for group in packed_groups(seqs, prefix_tree.BLOCK_PACKED_WIDTH):
            tree = Tree([seqs[i] for i in group])
            mask = branched.tree_mask(tree)
            spans = branched.query_spans(tree, tree.layout()[2])
            computed += sum(m.numel() for *_, m in blocks_of(mask, spans))
            allowed, pairs = allowed + int(mask.sum()), pairs + mask.numel()
            blocks, trees = blocks + len(spans), trees + 1
    dense, blocked = answers[False], answers[True]
    same = sum(dense[k].predicted == blocked[k].predicted for k in dense)
    gap = max(
        abs(x - y) for k in dense for x, y in zip(dense[k].scores, blocked[k].scores, strict=True)
    )
    return (
        f"block attention ({blocks / trees:.1f} blocks a tree of up to "
        f"{prefix_tree.BLOCK_PACKED_WIDTH} tokens; query-key pairs allowed {allowed / pairs:.0%}, "
        f"computed {computed / pairs:.0%} of the dense mask's): {seconds[True]:.1f} s against "
        f"the dense tree mask's {seconds[False]:.1f} s (trees up to {prefix_tree.PACKED_WIDTH} "
        f"tokens; wall ratio {seconds[True] / seconds[False]:.2f}) on the same batches, "
        f"predictions identical {same}/{len(dense)}, largest score difference {gap:.1e}"
    )


def exactness_line(mode, model, builder, units, prompts, plain, tree, n: int) -> str:
    """How far each float32 path's scores lie from a float64 forward of each item alone
    (no batch, no tree): the exact answer both approximate."""
    import copy

    from auditor.evaluation.scoring import score_batch

    exact = copy.deepcopy(model).double()
    errors = {"unshared batch": 0.0, "prefix tree": 0.0}
    same = 0
    for k in range(min(n, len(units))):
        (ref,) = score_batch(mode, exact, builder, [units[k]], [prompts[k]])
        for name, answers in (("unshared batch", plain), ("prefix tree", tree)):
            gap = max(abs(x - y) for x, y in zip(answers[k].scores, ref.scores, strict=True))
            errors[name] = max(errors[name], gap)
        same += plain[k].predicted == tree[k].predicted == ref.predicted
    return (
        f"against float64, each item alone (first {min(n, len(units))}): largest score error "
        + ", ".join(f"{name} {error:.1e}" for name, error in errors.items())
        + f"; predictions equal to float64 {same}/{min(n, len(units))}"
    )
