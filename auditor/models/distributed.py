"""Data-parallel runs under a launcher (``torchrun``, ``accelerate launch``, ``srun
torchrun``): one process a rank, each on its own device, talking over torch.distributed.

The launcher's environment says who we are (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``);
without it everything is one process and nothing here touches torch.distributed. Rank 0
is the only one that reads or writes the run store: the others get what they need from
it by broadcast and send their results to it by gather.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from auditor.core.errors import InputError, SpilloverError, first_line


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def parallel(self) -> bool:
        return self.size > 1


def world() -> World:
    """This process's place in the launch (a single process without a launcher)."""

    def number(name: str, default: int) -> int:
        try:
            return int(os.environ.get(name, default))
        except ValueError:
            return default

    size = max(1, number("WORLD_SIZE", 1))
    return World(number("RANK", 0), size, number("LOCAL_RANK", 0))


def start(device: str) -> World:
    """Join the process group (gloo on CPU, nccl on CUDA) when launched with several
    ranks; return this process's ``World``.

    A launched rank also stops with its launcher: it gets SIGTERM when the launcher dies
    (even by SIGKILL), and SIGTERM raises ``LauncherStopped`` so the run is recorded as
    stopped and its checkpoints are kept for the rerun.
    """
    here = world()
    if here.parallel:
        import torch.distributed as dist

        if not dist.is_initialized():
            _stop_with_launcher()
            if device.startswith("cuda"):
                import torch

                torch.cuda.set_device(int(device.split(":")[1]) if ":" in device else 0)
            dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return here


class LauncherStopped(KeyboardInterrupt):
    """SIGTERM under a launcher: another rank failed, or the job was stopped."""


def _stop_with_launcher() -> None:
    import signal
    import sys
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def stopped(signum, frame):
        raise LauncherStopped(
            "stopped by the launcher (SIGTERM): another rank failed or the "
            "job was stopped; stored work is kept, rerun to resume"
        )

    signal.signal(signal.SIGTERM, stopped)
    if sys.platform.startswith("linux"):  # PR_SET_PDEATHSIG: SIGTERM when the launcher dies
        import ctypes

        parent = os.getppid()
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # it died before the call took effect
            os.kill(os.getpid(), signal.SIGTERM)


def barrier(here: World) -> None:
    """Wait until every rank gets here."""
    if here.parallel:
        import torch.distributed as dist

        dist.barrier()


def lead(here: World, work):
    """``work()`` on rank 0, its result on every rank; a failure there fails every rank
    (the others raise ``FailedOnRankZero``, which rank 0 alone reports)."""
    if not here.parallel:
        return work()
    outcome = None
    if here.is_main:
        try:
            outcome = ("ok", work())
        except BaseException as exc:
            broadcast(("failed", getattr(exc, "exit_code", 3), str(exc)), here)
            raise
    outcome = broadcast(outcome, here)
    if outcome[0] == "failed":
        raise shown_by_rank_zero(FailedOnRankZero(outcome[2], outcome[1]))
    return outcome[1]


class FailedOnRankZero(SpilloverError):
    """What rank 0 failed with, on the other ranks (rank 0 prints it)."""

    def __init__(self, message: str, exit_code: int = 3):
        super().__init__(message)
        self.exit_code = exit_code


def shown_by_rank_zero(exc: BaseException) -> BaseException:
    """Mark an error that every rank meets alike: only rank 0 prints it."""
    vars(exc)["shown_by"] = "rank"  # any exception may carry it; read with getattr
    return exc


def shown_by_node(exc: BaseException) -> BaseException:
    """Mark an error that every rank of a machine meets alike (no GPU there): only local
    rank 0 prints it."""
    vars(exc)["shown_by"] = "node"
    return exc


def prints_error(exc: BaseException) -> bool:
    """Whether this rank prints ``exc`` (the others exit with its code in silence)."""
    here, by = world(), getattr(exc, "shown_by", None)
    if not here.parallel or by is None:
        return True
    return here.rank == 0 if by == "rank" else here.local_rank == 0


def error_prefix() -> str:
    """``rank N: `` before an error line from a rank other than 0 under a launcher."""
    here = world()
    return f"rank {here.rank}: " if here.parallel and not here.is_main else ""


def per_device_batch(batch_size: int, grad_accum: int, size: int) -> tuple[int, int]:
    """(per-device batch, accumulation steps) that keep the global batch at
    ``batch_size × grad_accum`` on ``size`` ranks: the largest per-device batch up to
    ``batch_size`` that divides each rank's share."""
    total = batch_size * grad_accum
    if total % size:
        raise shown_by_rank_zero(
            InputError(
                f"align: global batch {batch_size} x {grad_accum} = {total} pairs does not divide "
                f"over {size} ranks; choose align.batch_size x align.grad_accum a multiple of "
                f"{size}, or launch {', '.join(str(n) for n in _divisors(total) if n > 1)} ranks"
            )
        )
    share = total // size
    batch = max(d for d in _divisors(share) if d <= batch_size)
    return batch, share // batch


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def rank_device(device: str) -> str:
    """``cuda`` becomes ``cuda:LOCAL_RANK`` under a launcher: one GPU a rank."""
    here = world()
    return f"cuda:{here.local_rank}" if here.parallel and device == "cuda" else device


def broadcast(value, here: World):
    """Rank 0's ``value`` on every rank."""
    if not here.parallel:
        return value
    import torch.distributed as dist

    box = [value if here.is_main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather(value, here: World) -> list:
    """Every rank's ``value``, in rank order, on every rank."""
    if not here.parallel:
        return [value]
    import torch.distributed as dist

    out: list = [None] * here.size
    dist.all_gather_object(out, value)
    return out


def training_batch(batch_size: int, grad_accum: int, n_pairs: int, here: World) -> dict:
    """How the global batch ``batch_size × grad_accum`` is split over the ranks (recorded
    with the run); refuses a split that cannot keep it, or more ranks than pairs."""
    per_device, accum = per_device_batch(batch_size, grad_accum, here.size)
    if n_pairs < here.size:
        raise shown_by_rank_zero(
            InputError(
                f"align: {n_pairs} preference pairs for {here.size} ranks; every rank needs at "
                "least one: launch fewer ranks or train on more items"
            )
        )
    return {
        "world_size": here.size,
        "per_device_batch": per_device,
        "grad_accum": accum,
        "global_batch": batch_size * grad_accum,
    }


def shared_dataset(dataset, path, here: World):
    """``dataset`` read back from ``path`` (written by rank 0) on every rank, so the cache
    files trl writes beside it (tokenized pairs, reference log-probs) are shared by all
    ranks; unchanged without a launcher."""
    if not here.parallel:
        return dataset
    import shutil

    from datasets import load_from_disk

    if here.is_main:
        shutil.rmtree(path, ignore_errors=True)
        dataset.save_to_disk(str(path))
    barrier(here)
    return load_from_disk(str(path))


class RankLost(SpilloverError):
    """Another rank stopped mid-run (its connection closed, or a collective timed out)."""


def lost_rank(exc: BaseException) -> RankLost | None:
    """A one-line ``RankLost`` when ``exc`` is torch.distributed losing a peer, else None."""
    if not world().parallel or isinstance(exc, SpilloverError):
        return None
    import torch.distributed as dist

    text = str(exc)
    backend = isinstance(exc, getattr(dist, "DistError", ())) or any(
        word in text for word in ("gloo", "NCCL", "Connection closed", "Connection reset")
    )
    if not backend:
        return None
    return RankLost(
        f"another rank stopped ({first_line(exc, 160)}); the run is stopped with its "
        "checkpoints kept: rerun to resume"
    )


def sharded_launch() -> str | None:
    """``fsdp`` or ``deepspeed`` when ``accelerate launch`` was given such a config (the
    trainer then shards the model itself), else None."""
    for name, env in (("fsdp", "ACCELERATE_USE_FSDP"), ("deepspeed", "ACCELERATE_USE_DEEPSPEED")):
        if os.environ.get(env, "false").lower() == "true":
            return name
    return None
