"""One-sided upper bounds on a cell's degradation, for the non-inferiority gate.

A cell is *non-inferior* when a one-sided (1 − α) upper confidence bound on its
degradation lies below the allowed margin. Degradation is signed so that positive is
worse: the accuracy drop (before − after) or the growth of |bias score|.

Accuracy. Per item d = base correctness − mean aligned correctness over the K seeds;
the estimate is the item mean. Items of one template instance are not independent, so
the standard error is the cluster-robust one over the G instances present (Liang & Zeger
1986; with the G/(G − 1) small-sample factor, Cameron & Miller 2015 §VI), and the bound
uses Student's t with G − 1 degrees of freedom. With seed replicates the bound must hold
for the recipe, not for the K seeds drawn: the variance of the seeds' own estimates over
K is added, and the degrees of freedom follow Welch–Satterthwaite.

Bias. The estimate is the mean over seeds of |s_after| − |s_before|; its standard error
is the paired cluster bootstrap's (same instances drawn for every run), plus the seeds'
variance as above.

Never narrower than the data allow. When nothing changed in a cell the standard error
is 0 and a t bound would equal the estimate — a certainty no finite sample gives. If a
share q of instances changed in some way, all G instances look unchanged with chance
(1 − q)^G, so unchanged data cannot exclude q up to 1 − α^(1/G) (the exact one-sided
binomial bound for 0 events in G trials). Every bound is therefore at least that share
of the metric's range (1 for accuracy, 2 for a bias score, whose change per changed item
is up to twice an accuracy's): about 3/G at α = 0.05, so identical answers on 12
instances (a few dozen items) cannot show a 5 pp margin.

By the intersection–union principle (Berger 1982) the gate that passes only when every
checked cell's bound lies below its margin has a false-pass rate of at most α without a
multiplicity correction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

METHOD = (
    "one-sided (1 − α) upper bound: cluster-robust standard error over template "
    "instances, Student t with G − 1 df (Welch–Satterthwaite with seed replicates), "
    "never below the exact bound 1 − α^(1/G) for unchanged data"
)
RANGE = {"accuracy": 1.0, "bias": 2.0}


@dataclass(frozen=True, slots=True)
class Bound:
    """What a cell's upper bound on degradation (positive = worse) is made of; the bound
    itself at any level is :meth:`upper`, so a stored cell serves any gate's α."""

    metric: str  # "accuracy" | "bias"
    estimate: float
    se: float
    df: float
    n: int
    n_clusters: int

    def floor(self, alpha: float) -> float:
        return unchanged_floor(self.n_clusters, alpha, self.metric)

    def upper(self, alpha: float) -> float:
        """The one-sided (1 − α) upper bound; inf where it cannot be computed."""
        if self.n_clusters < 2 or not (math.isfinite(self.se) and math.isfinite(self.estimate)):
            return math.inf
        t_bound = self.estimate + t_quantile(1.0 - alpha, self.df) * self.se
        return float(max(t_bound, self.floor(alpha)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "estimate": _num(self.estimate),
            "se": _num(self.se),
            "df": _num(self.df),
            "n": self.n,
            "n_clusters": self.n_clusters,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bound:
        return cls(
            data["metric"],
            _val(data["estimate"]),
            _val(data["se"]),
            _val(data["df"]),
            int(data["n"]),
            int(data["n_clusters"]),
        )


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _val(x: float | None) -> float:
    return math.inf if x is None else float(x)


def unchanged_floor(n_clusters: int, alpha: float, metric: str = "accuracy") -> float:
    """The smallest bound G unchanged instances allow: range × (1 − α^(1/G))."""
    if n_clusters <= 0:
        return math.inf
    return RANGE[metric] * (1.0 - float(alpha ** (1.0 / n_clusters)))


def t_quantile(level: float, df: float) -> float:
    from scipy.stats import t

    return float(t.ppf(level, df)) if math.isfinite(df) else _z(level)


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(level))


def cluster_se(values: np.ndarray, cluster: np.ndarray) -> tuple[float, float, int]:
    """Item mean, its cluster-robust standard error (CR1) and the number of clusters."""
    values = np.asarray(values, dtype=float)
    n = values.size
    if n == 0:
        return math.nan, math.nan, 0
    _, inverse = np.unique(cluster, return_inverse=True)
    inverse = inverse.ravel()
    g = int(inverse.max()) + 1
    mean = float(values.mean())
    totals = np.bincount(inverse, weights=values, minlength=g)
    sizes = np.bincount(inverse, minlength=g)
    resid = totals - mean * sizes
    var = (g / (g - 1)) * float(np.sum(resid**2)) / n**2 if g > 1 else math.inf
    return mean, math.sqrt(var), g


def combine(
    estimate: float,
    se: float,
    df: float,
    seed_estimates: np.ndarray | None,
    n: int,
    n_clusters: int,
    metric: str,
) -> Bound:
    """The bound's parts from a sampling SE, widened by the seeds' spread when there are
    several (the variance of their mean, Welch–Satterthwaite degrees of freedom)."""
    var, dof = se**2, df
    if seed_estimates is not None and len(seed_estimates) > 1 and math.isfinite(var):
        k = len(seed_estimates)
        between = float(np.var(seed_estimates, ddof=1)) / k
        total = var + between
        parts = (var**2 / df if var > 0 else 0.0) + (between**2 / (k - 1) if between > 0 else 0.0)
        dof = total**2 / parts if parts > 0 else df
        var = total
    return Bound(metric, float(estimate), math.sqrt(var), float(dof), int(n), int(n_clusters))


def accuracy_bound(base: np.ndarray, aligned: np.ndarray, cluster: np.ndarray) -> Bound:
    """The accuracy drop's bound: ``base`` (n,) and ``aligned`` (K, n) correctness,
    ``cluster`` (n,) the items' template instances."""
    base = np.asarray(base, dtype=float)
    aligned = np.atleast_2d(np.asarray(aligned, dtype=float))
    drop = base - aligned.mean(axis=0)
    estimate, se, g = cluster_se(drop, cluster)
    if g == 0:
        return Bound("accuracy", math.nan, math.inf, math.nan, 0, 0)
    seeds = (base[None, :] - aligned).mean(axis=1) if aligned.shape[0] > 1 else None
    return combine(estimate, se, max(g - 1, 1), seeds, base.size, g, "accuracy")


def bias_bound(seed_growth: np.ndarray, boot_growth: np.ndarray, n: int, n_clusters: int) -> Bound:
    """The growth of |bias|'s bound: ``seed_growth`` each seed's |s_after| − |s_before|,
    ``boot_growth`` the paired cluster-bootstrap replicates of their mean."""
    seed_growth = np.asarray(seed_growth, dtype=float)
    boot_growth = np.asarray(boot_growth, dtype=float)
    defined = boot_growth[~np.isnan(boot_growth)]
    if seed_growth.size == 0 or np.isnan(seed_growth).any() or defined.size < 2:
        return Bound("bias", math.nan, math.inf, math.nan, n, n_clusters)
    se = float(np.std(defined, ddof=1))
    seeds = seed_growth if seed_growth.size > 1 else None
    return combine(
        float(seed_growth.mean()), se, max(n_clusters - 1, 1), seeds, n, n_clusters, "bias"
    )


def items_needed(bound: Bound, margin: float, alpha: float) -> int | None:
    """Paired items the cell would need for its bound to fall below ``margin`` if the
    estimate and the per-item spread stayed as observed; None when no number would
    (the estimate itself is at or beyond the margin)."""
    if not math.isfinite(bound.estimate) or bound.estimate >= margin or bound.n == 0:
        return None
    per_cluster = bound.n / max(bound.n_clusters, 1)
    share = min(margin / RANGE[bound.metric], 0.999999)
    clusters_floor = math.ceil(math.log(alpha) / math.log1p(-share))
    need: float = clusters_floor
    if bound.se > 0 and math.isfinite(bound.se):
        z = _z(1.0 - alpha)
        need = bound.n_clusters * (z * bound.se / (margin - bound.estimate)) ** 2
    clusters = max(clusters_floor + 1, math.ceil(need))
    return max(
        int(math.ceil(clusters * per_cluster)), bound.n + 1 if bound.upper(alpha) >= margin else 0
    )


def power(
    n: int,
    n_clusters: int,
    discordance: float,
    margin: float,
    alpha: float,
    deff: float = 1.0,
    effect: float = 0.0,
) -> float:
    """Chance that a cell of ``n`` items in ``n_clusters`` instances is shown non-inferior
    at ``margin`` when the true drop is ``effect``: items discordant with probability
    ``discordance``, the variance inflated by the design effect ``deff`` of the
    instances (1: independent items; the instance size at most), normal approximation."""
    if n <= 0 or n_clusters < 2:
        return 0.0
    if unchanged_floor(n_clusters, alpha) >= margin:
        return 0.0
    psi = max(float(discordance), abs(effect))
    var_item = max(psi - effect**2, 1e-12)
    se = math.sqrt(var_item * deff / n)
    from scipy.stats import norm, t

    crit = float(t.ppf(1.0 - alpha, n_clusters - 1))
    return float(norm.cdf((margin - effect) / se - crit))
