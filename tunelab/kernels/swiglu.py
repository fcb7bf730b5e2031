"""SwiGLU, silu(gate) * up, by tunelab's own kernel (swiglu.cpp) where it compiled and the CPU
has AVX-512: one pass forward, one back, where autograd makes four fresh [tokens, intermediate]
tensors and keeps SiLU's output for the backward besides both inputs."""

from __future__ import annotations

import functools

import torch

from tunelab.kernels import build, cpu_float32


def usable(gate: torch.Tensor, up: torch.Tensor) -> bool:
    """Whether the kernel can take these: float32 CPU tensors of one shape, an AVX-512 CPU."""
    return cpu_float32(gate) and cpu_float32(up) and gate.shape == up.shape and available()


@functools.cache  # asked once a layer: the build's lock and the op lookup once a process
def available() -> bool:
    """Whether the kernel compiled and this CPU runs it (compiling tunelab's kernels once)."""
    return build.available() and torch.ops.tunelab_swiglu.available()


class SwiGLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        gate, up = gate.contiguous(), up.contiguous()
        ctx.save_for_backward(gate, up)
        return torch.ops.tunelab_swiglu.forward(gate, up)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        gate, up = ctx.saved_tensors
        grad_gate, grad_up = torch.ops.tunelab_swiglu.backward(grad.contiguous(), gate, up)
        want_gate, want_up = ctx.needs_input_grad
        return (grad_gate if want_gate else None), (grad_up if want_up else None)


def swiglu(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """silu(gate) * up, its gradients by the same kernel (`usable` must hold)."""
    return SwiGLU.apply(gate, up)
