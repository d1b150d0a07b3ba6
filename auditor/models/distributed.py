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
    ranks; return this process's ``World``."""
    here = world()
    if here.parallel:
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return here


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
