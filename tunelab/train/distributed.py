"""Training on several processes (GPUs or machines), started by `torchrun`, as torch.distributed
expects: each process reads its rank from the environment torchrun sets, and gradients are averaged
by DistributedDataParallel. A plain `tunelab train` (no torchrun) is one process of world size 1,
and everything here turns into no-ops.

    torchrun --nproc_per_node 8 -m tunelab.cli train config.yaml
    torchrun --nnodes 2 --node_rank 0 --master_addr host0 --nproc_per_node 8 -m tunelab.cli train config.yaml
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from tunelab.train.loss import token_loss_sum


@dataclass(frozen=True)
class World:
    rank: int = 0
    local_rank: int = 0
    size: int = 1

    @property
    def is_main(self) -> bool:
        """The process that logs, saves checkpoints and writes the run folder."""
        return self.rank == 0


SINGLE = World()  # a plain run: one process


def start(device: torch.device) -> tuple[World, torch.device]:
    """Join the process group torchrun describes (if any); each process gets its own GPU."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size == 1:
        return SINGLE, device
    world = World(int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0")), size)
    if device.type == "cuda":
        device = torch.device("cuda", world.local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return world, device


def stop(world: World) -> None:
    if world.size > 1 and dist.is_initialized():
        dist.destroy_process_group()


def total(values: list[float], world: World, device: torch.device) -> list[float]:
    """Sum of each value over all processes (the values themselves in a single process)."""
    if world.size == 1:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()


def barrier(world: World) -> None:
    if world.size > 1:
        dist.barrier()


class LossModule(nn.Module):
    """The model with its loss as the forward pass, so DistributedDataParallel sees the whole
    computation (the loss runs the decoder and the output projection separately)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, int]:
        return token_loss_sum(self.model, batch)


def wrap(model: nn.Module, world: World, device: torch.device) -> nn.Module:
    """What the loop calls for a loss: LossModule, inside DDP when there are several processes."""
    module = LossModule(model)
    if world.size == 1:
        return module
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=device_ids)
