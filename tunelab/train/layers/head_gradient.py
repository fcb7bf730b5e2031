"""The output head's weight gradient, in memory kept from one step to the next on a CPU.

The fused loss (tunelab.train.loss) makes the head's gradient itself: vocabulary x hidden in fp32,
113 MB for SmolLM2. glibc maps any block over 32 MiB on its own and unmaps it when freed, which
the training loop's zero_grad(set_to_none=True) does every step: each step then faulted 113 MB in
again, page by page (179 ms of a 3.1 s forward of full finetuning in the profiler, 13 copies at
0.6 GB/s; benchmarks/README.md). A GPU's caching allocator already reuses its blocks.

A kept buffer is lent only while no tensor but its own holds its memory (as
torch._inductor's cudagraph trees check their pools): the weight's .grad of the previous
micro-batch, or a gradient a caller put aside, is never written over. Autograd must be able to
take the lent gradient as the weight's .grad without copying it, so it is lent as a view: a
tensor of its own whose only holder is autograd (AccumulateGrad copies a gradient someone else
holds)."""

from __future__ import annotations

import weakref

import torch

from tunelab.kernels import storage_uses

# Buffers per weight: two cover gradient accumulation (the first micro-batch's gradient becomes
# the weight's .grad; the later ones' are added to it and freed).
KEPT = 2

# id(weight) -> (the weight, weakly; its buffers). Not a WeakKeyDictionary: that compares tensor
# keys with ==, which is elementwise.
_kept: dict[int, tuple[weakref.ref, list[torch.Tensor]]] = {}


def gradient_buffer(weight: torch.Tensor) -> torch.Tensor:
    """Uninitialised fp32 memory of the weight's shape for its gradient: on a CPU a kept buffer
    no one else holds when there is one, else fresh memory (kept for next time on a CPU)."""
    # Without torch's (private) storage use count there is no telling when a buffer is free.
    if weight.device.type != "cpu" or storage_uses(weight) is None:
        return torch.empty(weight.shape, dtype=torch.float32, device=weight.device)
    kept = _buffers_of(weight)
    for buffer in kept:
        if buffer.shape == weight.shape and not _held_elsewhere(buffer):
            return buffer.view(buffer.shape)
    buffer = torch.empty(weight.shape, dtype=torch.float32)
    if len(kept) < KEPT:
        kept.append(buffer)
    return buffer.view(buffer.shape)


def _buffers_of(weight: torch.Tensor) -> list[torch.Tensor]:
    key = id(weight)
    held = _kept.get(key)
    if held is None or held[0]() is not weight:  # new, or another tensor now has its id
        held = (weakref.ref(weight, lambda _: _kept.pop(key, None)), [])
        _kept[key] = held
    return held[1]


def _held_elsewhere(buffer: torch.Tensor) -> bool:
    # The buffer's own use and the storage object storage_uses asks; any more is someone else's.
    return storage_uses(buffer) > 2
