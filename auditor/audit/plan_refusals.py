"""The combinations an audit plan refuses at plan time, each in one line, and the
checkpoint steps of a trajectory."""

from __future__ import annotations

from auditor.align.settings import AlignSettings
from auditor.audit.profiles import Profile
from auditor.core.errors import InputError

__all__ = ["refuse", "refuse_trajectory", "trajectory_steps"]


def trajectory_steps(a: AlignSettings) -> tuple[int, ...]:
    """The checkpoint steps a trajectory evaluates (every ``save_steps`` before the last
    step, which the aligned model is); () without ``trajectory``."""
    if not a.trajectory:
        return ()
    return tuple(range(a.save_steps, a.max_steps, a.save_steps))


def refuse(profile: Profile) -> None:
    """InputError for a profile the engine cannot run completely as one recipe's audit:
    several methods make a grid, run by ``grids`` (the matrix)."""
    a = profile.align
    if a.methods:
        raise InputError(
            "align.methods is set: run the grid with `spillover matrix` or "
            "`spillover audit --matrix` (or empty it for one method's audit)"
        )
    if a.trajectory:
        refuse_trajectory(profile)


def refuse_trajectory(profile: Profile) -> None:
    """InputError for a trajectory the engine cannot run completely."""
    a = profile.align
    why = (
        "needs align.max_steps > 0 (the checkpoint steps must be known before training)"
        if a.max_steps <= 0
        else f"needs align.save_steps ({a.save_steps}) below align.max_steps ({a.max_steps}): "
        "no checkpoint is saved before the last step"
        if a.save_steps >= a.max_steps
        else "runs with one training seed: with seed replicates, audit each seed alone"
        if len(a.seeds) > 1
        else "runs on one target: with align.targets, audit each target alone"
        if a.targets
        else "needs a model without model.adapter (a checkpoint adapter sits on the merged model)"
        if profile.model.adapter
        else ""
    )
    if why:
        raise InputError(f"align.trajectory {why}")
