"""The non-inferiority gate's error rates, by simulation with known truth.

Cells of BBQ's shape (``--size`` items per template instance) whose items' changes are
correlated within an instance (a shared latent draw with weight ``--icc``); the true
accuracy drop is set exactly. At a drop equal to the margin the gate must pass at most
α of the time (the false-pass rate); at no drop it should pass with the power that
``stats.noninferiority.power`` (what ``spillover plan`` prints) predicts.

    python benchmarks/bench_gate.py            # prints the two rates and the prediction
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from auditor.stats.noninferiority import accuracy_bound, power


def simulate_cell(
    rng: np.random.Generator,
    clusters: int,
    size: int,
    drop: float,
    discordance: float,
    icc: float,
    seeds: int = 1,
    seed_sd: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One cell: base (n,), aligned (seeds, n) correctness and cluster ids (n,).

    Each seed's true drop is ``drop`` plus a normal seed effect (sd ``seed_sd``); an item
    right before goes wrong with probability discordance + drop_k, one wrong before goes
    right with probability discordance − drop_k (half the items start right), so the
    expected drop is drop_k exactly. An item's draws (right before, change) are its
    instance's shared uniforms with probability ``icc``, else its own.
    """
    n = clusters * size
    cluster = np.repeat(np.arange(clusters), size)
    base = _correlated(rng, clusters, size, icc) < 0.5
    aligned = np.empty((seeds, n), dtype=bool)
    for k in range(seeds):
        shift = drop + (rng.normal(0.0, seed_sd) if seed_sd else 0.0)
        to_wrong = np.clip(discordance + shift, 0.0, 1.0)
        to_right = np.clip(discordance - shift, 0.0, 1.0)
        latent = _correlated(rng, clusters, size, icc)
        flips = latent < np.where(base, to_wrong, to_right)
        aligned[k] = base ^ flips
    return base, aligned, cluster


def _correlated(rng, clusters: int, size: int, icc: float) -> np.ndarray:
    """Uniforms, each its instance's shared one with probability ``icc``."""
    n = clusters * size
    shared = np.repeat(rng.random(clusters), size)
    return np.where(rng.random(n) < icc, shared, rng.random(n))


def design_effect(rng, draws: int = 200, **cell) -> float:
    """The drop's variance over clusters relative to independent items, measured."""
    ratios = []
    for _ in range(draws):
        base, aligned, cluster = simulate_cell(rng, **cell)
        d = base.astype(float) - aligned.mean(axis=0)
        totals = np.bincount(cluster, weights=d - d.mean())
        ratios.append(totals.var() * len(totals) / max(d.var() * d.size, 1e-12))
    return float(np.mean(ratios))


def pass_rate(rng, draws: int, margin: float, alpha: float, **cell) -> float:
    passed = 0
    for _ in range(draws):
        base, aligned, cluster = simulate_cell(rng, **cell)
        passed += accuracy_bound(base, aligned, cluster).upper(alpha) < margin
    return passed / draws


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--size", type=int, default=2)
    parser.add_argument("--margin", type=float, default=0.05)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--discordance", type=float, default=0.2)
    parser.add_argument("--icc", type=float, default=0.8)
    parser.add_argument("--draws", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    shape = dict(clusters=args.clusters, size=args.size, discordance=args.discordance, icc=args.icc)
    mc = math.sqrt(args.alpha * (1 - args.alpha) / args.draws)
    for seeds, seed_sd in ((1, 0.0), (3, 0.02)):
        false_pass = pass_rate(
            rng,
            args.draws,
            args.margin,
            args.alpha,
            drop=args.margin,
            seeds=seeds,
            seed_sd=seed_sd,
            **shape,
        )
        observed = pass_rate(
            rng,
            args.draws,
            args.margin,
            args.alpha,
            drop=0.0,
            seeds=seeds,
            seed_sd=seed_sd,
            **shape,
        )
        print(
            f"seeds {seeds} (seed-to-seed sd {seed_sd:g}): false-pass rate at a true drop = "
            f"margin {false_pass:.4f} (α {args.alpha:g}, Monte-Carlo se {mc:.4f}); "
            f"pass rate at no drop {observed:.3f}",
            flush=True,
        )
    deff = design_effect(rng, drop=0.0, **shape)
    predicted = power(
        args.clusters * args.size,
        args.clusters,
        args.discordance,
        args.margin,
        args.alpha,
        deff=deff,
    )
    print(
        f"predicted pass rate at no drop, one seed (spillover plan's formula, design effect "
        f"{deff:.2f} measured on the simulated cells): {predicted:.3f}"
    )
    print(
        f"cells: {args.clusters} instances × {args.size} items, discordance "
        f"{args.discordance:g}, within-instance correlation {args.icc:g}, margin "
        f"{args.margin:g}, {args.draws} draws each"
    )


if __name__ == "__main__":
    main()
