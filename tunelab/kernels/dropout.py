"""Dropout by tunelab's own kernel (dropout.cpp) where it compiled and the CPU has AVX2: the
mask from a counter-based generator, any span of it made by any thread, and made again from its
seed where the backward needs it, where torch's CPU dropout draws it one element at a time."""

from __future__ import annotations

import functools

import torch

from tunelab.kernels import build, cpu_float32


def usable(x: torch.Tensor) -> bool:
    """Whether the kernel can take x: a float32 CPU tensor, a CPU with AVX2."""
    return cpu_float32(x) and available()


@functools.cache  # asked once a layer: the build's lock and the op lookup once a process
def available() -> bool:
    """Whether the kernel compiled and this CPU runs it (compiling tunelab's kernels once)."""
    return build.available() and torch.ops.tunelab_dropout.available()


def new_seed() -> int:
    """A mask's seed, drawn from torch's generator: torch.manual_seed makes the masks repeat, and
    a checkpointed layer's recomputation (which restores that generator) draws the same one."""
    return int(torch.empty((), dtype=torch.int64).random_())


def dropout(x: torch.Tensor, p: float, seed: int) -> torch.Tensor:
    """x with each element zeroed with probability p and the rest scaled by 1 / (1 - p)."""
    return torch.ops.tunelab_dropout.dropout(x.contiguous(), p, seed)


def dropout_add_(out: torch.Tensor, x: torch.Tensor, p: float, seed: int) -> None:
    """out += dropout(x, p, seed), the same mask: a gradient's way back through the dropout."""
    torch.ops.tunelab_dropout.dropout_add_(out, x.contiguous(), p, seed)
