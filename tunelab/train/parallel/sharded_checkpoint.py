"""Checkpoints of a sharded run (train.parallel=fsdp), through torch.distributed.checkpoint (DCP):
every process writes its own shard of the trainable weights and the AdamW state, and a run
resumes from them on any number of processes (DCP reshards while loading).

The shards are safetensors files (DCP's HuggingFace storage), whose layout DCP reads back from their
JSON headers; DCP's default storage keeps its index as a pickle, and a checkpoint is data, never
code (see checkpoint.py). The step, data position and RNG states are written as checkpoint.py
writes them; the parameter groups come from the run's settings, as the schedule does."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors import safe_open

from tunelab.errors import TunelabError
from tunelab.run_files import CHECKPOINT_PREFIX
from tunelab.train.checkpoint import (
    Checkpoint,
    TrainState,
    load_tensors_and_values,
    put_in_place,
    rank_rng,
    read_file,
    read_state,
    rng_states,
    set_rng_states,
    write_state,
)
from tunelab.train.parallel.distributed import World, barrier

SHARDS, RNG = "shards", "rng.pt"


def save_sharded(
    folder: Path, model, optimizer, state: TrainState, keep: int, world: World, rng=None
) -> Path:
    """Every process calls this: each writes its shard, rank 0 the rest, then renames it in place."""
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint import HuggingFaceStorageWriter

    final = folder / f"{CHECKPOINT_PREFIX}{state.step:06d}"
    tmp = folder / f".tmp-{final.name}-sharded"  # one name all processes agree on
    if world.is_main:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    barrier(world)
    tensors, _ = _tensors(model, optimizer)
    writer = HuggingFaceStorageWriter(str(tmp / SHARDS), save_distributed=True)
    dcp.save(tensors, storage_writer=writer, no_dist=not dist.is_initialized())
    if world.is_main:
        torch.save({"rng": rng or rng_states()}, tmp / RNG)
        write_state(tmp, state)
        put_in_place(tmp, final, keep)
    barrier(world)
    return final


def read_sharded(path: Path) -> Checkpoint:
    """Check that a sharded checkpoint's files read whole (DamagedCheckpoint names the first that
    does not); its tensors are loaded into the sharded model by restore_sharded."""
    read_file(path / SHARDS, _check_shards)
    saved = read_file(path / RNG, lambda file: load_tensors_and_values(file, needs=("rng",)))
    return Checkpoint(path, {}, saved, read_state(path))


def restore_sharded(checkpoint: Checkpoint, model, optimizer, rank: int = 0) -> TrainState:
    """Load this process's share of the weights and AdamW state, whatever number of processes
    wrote them; every process calls this."""
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint import HuggingFaceStorageReader
    from torch.distributed.checkpoint.api import CheckpointException
    from torch.distributed.checkpoint.state_dict import set_optimizer_state_dict

    tensors, optimizer_state = _tensors(model, optimizer)
    reader = HuggingFaceStorageReader(str(checkpoint.path / SHARDS))
    try:
        # In place: into the sharded parameters and the optimizer state tensors.
        dcp.load(tensors, storage_reader=reader, no_dist=not dist.is_initialized())
    except CheckpointException as err:  # a BaseException, holding each rank's own error
        first = next(iter(err.failures.values()))[0]
        raise TunelabError(
            f"{checkpoint.path} does not fit this model and its training settings ({first})"
        ) from None
    set_optimizer_state_dict(model, optimizer, optimizer_state)
    set_rng_states(rank_rng(checkpoint.saved["rng"], rank))
    return checkpoint.state


def _tensors(model, optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    """The trainable weights and the AdamW state as one flat dict of (sharded) tensors, and the
    optimizer state dict it was flattened from. Named parameters, not the state dict: tied
    weights appear once (safetensors refuses two names for one tensor)."""
    from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict

    # A fresh optimizer gets its state made (one step with zero rate) before it is listed.
    optimizer_state = get_optimizer_state_dict(model, optimizer)
    tensors = {f"model.{n}": p for n, p in model.named_parameters() if p.requires_grad}
    for name, values in optimizer_state["state"].items():
        for key, value in values.items():
            tensors[f"optim.{name}.{key}"] = value
    return tensors, optimizer_state


def _check_shards(folder: Path) -> None:
    # safetensors checks on opening that the header's tensors cover the file exactly.
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise FileNotFoundError("no shard files")
    for file in files:
        with safe_open(str(file), framework="pt") as shard:
            shard.keys()
