"""Llama's RMSNorm by tunelab's own kernel (rms_norm.cpp) where it compiled and the CPU has
AVX2 (AVX-512 where it has it): each row read from memory once a pass, where the autograd ops of
tunelab/train/layers/rms_norm.py make a fresh [tokens, hidden] tensor an op."""

from __future__ import annotations

import functools

import torch

from tunelab.kernels import build, cpu_float32


def usable(x: torch.Tensor, weight: torch.Tensor) -> bool:
    """Whether the kernel can take these: float32 CPU tensors, rows as wide as the 1-D weight,
    a CPU with AVX2."""
    return (
        cpu_float32(x)
        and cpu_float32(weight)
        and weight.dim() == 1
        and x.dim() >= 1
        and x.shape[-1] == weight.numel()
        and available()
    )


@functools.cache  # asked once a norm: the build's lock and the op lookup once a process
def available() -> bool:
    """Whether the kernel compiled and this CPU runs it (compiling tunelab's kernels once)."""
    return build.available() and torch.ops.tunelab_rms_norm.available()


class RMSNorm(torch.autograd.Function):
    """weight * x / sqrt(mean(x^2) + eps) over the last dimension; keeps x and 1/rms a row."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
        x, weight = x.contiguous(), weight.contiguous()
        out, rstd = torch.ops.tunelab_rms_norm.forward(x, weight, eps)
        ctx.save_for_backward(x, rstd, weight)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, rstd, weight = ctx.saved_tensors
        want_x, want_weight = ctx.needs_input_grad[:2]
        grad_x, grad_weight = torch.ops.tunelab_rms_norm.backward(
            grad.contiguous(), x, rstd, weight, want_weight
        )
        return (grad_x if want_x else None), (grad_weight if want_weight else None), None


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """Llama's RMSNorm, its gradients by the same kernel (`usable` must hold)."""
    return RMSNorm.apply(x, weight, eps)
