"""Sharded training (train.parallel=fsdp) with PyTorch's FSDP2 (`fully_shard`): each process keeps
1/N of the weights, gradients and AdamW state, and gathers one decoder layer's weights at a time
for its forward and backward. What fits is the sharded state plus one layer, not a whole copy."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from tunelab.errors import TunelabError
from tunelab.models.architecture import decoder_layers
from tunelab.train.parallel.distributed import LossModule, World, total


def shard(module: LossModule, device: torch.device, offload: bool = False) -> nn.Module:
    """Shard each decoder layer, then the rest (embeddings, final norm, output projection: tied
    weights stay in one group) as the root the loop calls; returns `module`, now sharded."""
    from torch.distributed.fsdp import (
        CPUOffloadPolicy,
        MixedPrecisionPolicy,
        OffloadPolicy,
        fully_shard,
    )

    if offload and device.type != "cuda":
        raise TunelabError("train.cpu_offload moves GPU memory to the CPU: it needs a CUDA device")
    if device.type == "cuda":
        # Layers are gathered and run in bf16; gradients are reduced in fp32 (a sum of N bf16
        # gradients loses bits) into the fp32 shards AdamW updates.
        precision = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)
    else:
        precision = MixedPrecisionPolicy()  # the CPU trains in fp32
    settings = dict(
        mp_policy=precision, offload_policy=CPUOffloadPolicy() if offload else OffloadPolicy()
    )
    layers = decoder_layers(module.model)
    if not layers:
        model = getattr(module.model, "get_base_model", lambda: module.model)()
        raise TunelabError(
            f"train.parallel=fsdp: {type(model).__name__} does not name its decoder layers "
            "(_no_split_modules), so it cannot be sharded layer by layer: use parallel: ddp"
        )
    # A compiled layer (train.compile) returns its output as a view of inductor's buffer, and
    # FSDP warns, at every step of every process, that an in-place op on it would skip a gather.
    # The next layer adds to it out of place (residual + h, in every transformers decoder), and
    # tests/test_fsdp.py shows compiled sharded layers learning what one process learns.
    warnings.filterwarnings("ignore", message=r"FSDP2-wrapped module .* returned a view tensor")
    for layer in layers:
        fully_shard(layer, **settings)
    fully_shard(module, **settings)
    return module


def gather_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """The trained weights (all of them, or LoRA's adapter), whole, on rank 0's CPU (empty on the
    other ranks): what model/ is saved from. Every process must call it."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    options = StateDictOptions(full_state_dict=True, cpu_offload=True, ignore_frozen_params=True)
    weights = get_model_state_dict(model, options=options)
    # A tied weight is gathered once per name, as two tensors; a plain model saves it once.
    names = {name for name, _ in model.named_parameters()}
    aliases = {name for name, _ in model.named_parameters(remove_duplicate=False)} - names
    return {name: value for name, value in weights.items() if name not in aliases}


@contextmanager
def answering_together(module: nn.Module, world: World, device: torch.device) -> Iterator[None]:
    """Within it, `module.model` (the model a sharded `module` trains) answers questions on every
    process at once, each process the same questions: rank 0's answers are one process's.

    Each forward gathers every decoder layer from all processes (a collective), so all must run
    as many forwards. The same questions everywhere, not a share each: the answers need no
    gathering and come out as one process's batch gives them. What a process holds is what a
    training forward holds: its shards, the root's weights (embeddings, output projection)
    gathered throughout, one layer at a time, plus the answers' cache; never the whole model.
    As many forwards is not guaranteed, though: a process whose greedy text ends a token sooner
    (a near tie broken otherwise) makes fewer. So each forward first tells the others it goes on,
    and a process that is done runs a one-token forward for each one another still makes, until
    none goes on: one sum a forward, and no process is left waiting in a gather.
    The root must have run a forward already (FSDP finds its root there): the loop's eval loss or
    a step has, before any held-out answer."""

    def goes_on(*_) -> None:  # a hook's return value would replace the forward's arguments
        total([1.0], world, device)

    model = module.model
    module.unshard()  # not recursive: the root's own weights; each layer gathers its own
    going_on = model.register_forward_pre_hook(goes_on)
    try:
        yield
        going_on.remove()  # not after an error: torchrun stops the others when this one leaves
        idle = torch.zeros((1, 1), dtype=torch.long, device=device)
        with torch.inference_mode():
            while total([0.0], world, device)[0] > 0:
                model(input_ids=idle, use_cache=False)
    finally:
        going_on.remove()
        module.reshard()
