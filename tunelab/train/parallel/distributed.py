"""Training on several processes (GPUs or machines), started by `torchrun`, as torch.distributed
expects: each process reads its rank from the environment torchrun sets. train.parallel says how
they share the work: ddp (the default) keeps a whole copy of the model, gradients and AdamW state
on each and averages gradients with DistributedDataParallel; fsdp shards all three over the
processes (FSDP2, see sharding.py), for models whose training state does not fit on one GPU.
A plain `tunelab train` (no torchrun) is one process of world size 1, and everything here turns
into no-ops (with fsdp, a group of one, so that the same code shards and checkpoints).

    torchrun --nproc_per_node 8 -m tunelab.cli train config.yaml
    torchrun --nproc_per_node 8 -m tunelab.cli train config.yaml --set train.parallel=fsdp
    torchrun --nnodes 2 --node_rank 0 --master_addr host0 --nproc_per_node 8 -m tunelab.cli train config.yaml
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from tunelab.errors import TunelabError
from tunelab.train.loss import token_loss_sum

T = TypeVar("T")


@dataclass(frozen=True)
class World:
    rank: int = 0
    local_rank: int = 0
    size: int = 1
    local_size: int = 1  # processes on this machine

    @property
    def is_main(self) -> bool:
        """The process that logs, saves checkpoints and writes the run folder."""
        return self.rank == 0


SINGLE = World()  # a plain run: one process


def launched_world() -> World:
    """This process's place among those torchrun started (its environment), SINGLE without it."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size == 1:
        return SINGLE
    _refuse_without_torchrun(size, needed=("RANK",))
    local_size = int(os.environ.get("LOCAL_WORLD_SIZE", str(size)))
    return World(int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0")), size, local_size)


# Rank 0 alone answers the held-out questions (under DDP), writes checkpoints and the final model
# while the others wait in a collective: NCCL's default 10 minutes (gloo's 30) killed a run whose
# checkpoint of a large model, or whose held-out answers, took longer. A true hang waits this long.
COLLECTIVE_TIMEOUT = timedelta(hours=2)


def start(device: torch.device, parallel: str = "ddp") -> tuple[World, torch.device]:
    """Join the process group torchrun describes (if any); each process gets its own GPU."""
    world = launched_world()
    if world.size == 1:
        if parallel == "fsdp" and not dist.is_initialized():
            backend = "nccl" if device.type == "cuda" else "gloo"
            dist.init_process_group(backend, store=dist.HashStore(), rank=0, world_size=1)
        return SINGLE, device
    if device.type == "cuda":
        device = torch.device("cuda", world.local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        _refuse_without_torchrun(world.size, needed=TORCHRUN_SETS)
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, timeout=COLLECTIVE_TIMEOUT)
    return world, device


TORCHRUN_SETS = ("RANK", "MASTER_ADDR", "MASTER_PORT")  # besides WORLD_SIZE


def _refuse_without_torchrun(size: int, needed: tuple[str, ...]) -> None:
    """A WORLD_SIZE left exported in a shell, or set by a job script, without torchrun's other
    variables stopped on a bare KeyError 'RANK' or torch's MASTER_ADDR ValueError."""
    missing = [name for name in TORCHRUN_SETS if name not in os.environ]
    if any(name in missing for name in needed):
        raise TunelabError(
            f"WORLD_SIZE={size} is set but not {', '.join(missing)}: this process was not "
            f"started by torchrun. Launch the processes with `torchrun --nproc_per_node={size} "
            "-m tunelab train ...`, or unset WORLD_SIZE to train in one process"
        )


# Groups left by `stop`, alive until the process ends. Freeing a gloo group joins its worker
# threads in the freeing thread, which holds the GIL; a worker still dropping the last
# collective's work needs the GIL for that work's tensors, so the process hung for good as
# train() returned and DDP's reducer freed the group (1 torchrun launch in ~30 under load;
# py-spy: ~ProcessGroupGloo in thread join, its worker in gil_scoped_acquire). Under torchrun
# the process ends right after (os._exit); in a notebook, a group of idle threads per run.
_LEFT_GROUPS: list = []


def stop(world: World, parallel: str = "ddp") -> None:
    """Leave the group start joined (a caller's own group of one, under ddp, stays)."""
    if dist.is_initialized() and (world.size > 1 or parallel == "fsdp"):
        _LEFT_GROUPS.append(dist.group.WORLD)
        dist.destroy_process_group()


def total(values: list[float], world: World, device: torch.device) -> list[float]:
    """Sum of each value over all processes (the values themselves in a single process)."""
    if world.size == 1:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()


def check_same_data(world: World, **facts) -> None:
    """Refuse, on every process at once, when some process sees other data than rank 0: each
    counted its own steps and waited for the others in a collective they never entered (a
    relative data.path reads each machine's own folder)."""
    if world.size == 1:
        return
    everyone: list = [None] * world.size
    dist.all_gather_object(everyone, facts)
    for rank, theirs in enumerate(everyone[1:], start=1):
        differences = [f"{key} {theirs[key]} against {everyone[0][key]}"
                       for key in facts if theirs[key] != everyone[0][key]]  # fmt: skip
        if differences:
            raise TunelabError(
                f"process {rank} sees other data than process 0: {'; '.join(differences)}. "
                "Every process must read the same files with the same tokenizer (a relative "
                "data.path is read from each machine's own working folder)."
            )


def gather_rng(world: World) -> dict | list[dict]:
    """Every process's RNG states, by rank (each draws its own dropout masks); one process's own.
    Every process calls this."""
    from tunelab.train.checkpoint import rng_states

    if world.size == 1:
        return rng_states()
    states: list = [None] * world.size
    dist.all_gather_object(states, rng_states())
    return states


def said_by_main(world: World, value: T) -> T:
    """Rank 0's `value`, on every process: what rank 0 alone can know (the run folder's files).
    Every process calls this."""
    if world.size == 1:
        return value
    said = [value]
    dist.broadcast_object_list(said, src=0)
    return said[0]


def barrier(world: World) -> None:
    if world.size > 1:
        dist.barrier()


def check_on_main(world: World, check: Callable[[], None]) -> None:
    """Run `check` on rank 0 alone (it reads what rank 0 alone writes, the run folder) while the
    others wait, and raise its refusal on every process: the others waited for a process that
    had left, and died with a traceback ("Connection closed by peer") that buried the refusal."""
    on_every_process(world, check if world.is_main else _nothing)


def _nothing() -> None:
    pass


def on_every_process(world: World, work: Callable[[], T]) -> T:
    """`work`'s result, run on every process; a refusal (TunelabError) any one of them met is
    raised on all of them, the others naming the process it came from. Without this, a process
    that could not read its data left, and the others died in DDP's first collective with a gloo
    traceback ("Connection closed by peer") that never said why; under torchrun a process other
    than a machine's first says nothing, so that refusal was not said anywhere."""
    refusal, result = None, None
    try:
        result = work()
    except TunelabError as err:
        refusal = err
    if world.size > 1:
        said: list[str | None] = [None] * world.size
        dist.all_gather_object(said, str(refusal) if refusal else None)
        if (
            refusal is None
            and (first := next((r for r, s in enumerate(said) if s), None)) is not None
        ):
            refusal = TunelabError(
                f"process {first} of {world.size} stopped before training: {said[first]}"
            )
    if refusal is not None:
        raise refusal
    return result  # type: ignore[return-value]


# A refusal (TunelabError) under torchrun: every process refuses alike, and printing it once per
# process repeated it. The first process of each machine says it; the others wait this long for
# torchrun to stop them (it does so as soon as that one exits), and say it themselves only after
# that: then the refusal was theirs alone.
REFUSAL_SAID_WITHIN_S = 30.0


def leave_refusal_to_first_process() -> None:
    """Wait (silent) for torchrun to stop this process, REFUSAL_SAID_WITHIN_S at most; no
    collective, no group."""
    time.sleep(REFUSAL_SAID_WITHIN_S)


def leave_without_teardown(code: int) -> NoReturn:
    """End a torchrun process with `code`, everything written and the group destroyed, without
    the interpreter's teardown: FSDP's DTensor caches keep the gloo group (and its threads) alive
    past destroy_process_group, and destroying it during teardown aborts now and then (SIGABRT,
    "terminate called without an active exception", seen on rank 1 after a finished run; torchrun
    then killed rank 0 and failed the run) or deadlocks (its thread waits for the GIL of the
    exiting one)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class LossModule(nn.Module):
    """The model with its loss as the forward pass, so DistributedDataParallel sees the whole
    computation (the loss runs the decoder and the output projection separately)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, int]:
        return token_loss_sum(self.model, batch)


def wrap(
    model: nn.Module, world: World, device: torch.device, parallel: str = "ddp", offload=False
) -> nn.Module:
    """What the loop calls for a loss: LossModule, sharded with fsdp, inside DDP when there are
    several processes."""
    module = LossModule(model)
    if parallel == "fsdp":
        from tunelab.train.parallel.sharding import shard

        return shard(module, device, offload)
    if world.size == 1:
        return module
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=device_ids)
