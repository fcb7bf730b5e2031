"""SwiGLU, silu(gate) * up, by tunelab's own kernel (swiglu.cpp) where it compiled and the CPU
has AVX2 (AVX-512 where it has it): one pass forward, one back, where autograd makes four fresh [tokens, intermediate]
tensors and keeps SiLU's output for the backward besides both inputs.

Where the caller alone holds gate and up (`private`), the backward writes their gradients over
them: gate and up are kept for the backward only, so their memory is free to take the gradients,
and a training step on a CPU then faults no fresh pages in for them (glibc trims its heap between
steps). torch's version counter is bumped, so a second backward through the same graph
(retain_graph) fails as it does after any in-place change, not with wrong gradients."""

from __future__ import annotations

import functools

import torch

from tunelab.kernels import build, cpu_float32, storage_uses

# benchmarks/train_step_pairs.py --change swiglu-in-place sets it False for its before side.
IN_PLACE = True


def usable(gate: torch.Tensor, up: torch.Tensor) -> bool:
    """Whether the kernel can take these: float32 CPU tensors of one shape, a CPU with AVX2."""
    return cpu_float32(gate) and cpu_float32(up) and gate.shape == up.shape and available()


@functools.cache  # asked once a layer: the build's lock and the op lookup once a process
def available() -> bool:
    """Whether the kernel compiled and this CPU runs it (compiling tunelab's kernels once)."""
    return build.available() and torch.ops.tunelab_swiglu.available()


class SwiGLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, gate: torch.Tensor, up: torch.Tensor, private: bool) -> torch.Tensor:
        ctx.in_place = IN_PLACE and private and _alone(gate) and _alone(up) and gate is not up
        gate, up = gate.contiguous(), up.contiguous()
        ctx.save_for_backward(gate, up)
        return torch.ops.tunelab_swiglu.forward(gate, up)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        gate, up = ctx.saved_tensors
        if ctx.in_place:
            torch.ops.tunelab_swiglu.backward_in_place(grad.contiguous(), gate, up)
            torch.autograd.graph.increment_version((gate, up))
            grad_gate, grad_up = gate.detach(), up.detach()
        else:
            grad_gate, grad_up = torch.ops.tunelab_swiglu.backward(grad.contiguous(), gate, up)
        want_gate, want_up = ctx.needs_input_grad[:2]
        return (grad_gate if want_gate else None), (grad_up if want_up else None), None


def _alone(t: torch.Tensor) -> bool:
    """Whether no other tensor (another view, a slice of the same memory) shares t's memory. The
    same tensor held elsewhere does not show here: the caller's `private` answers for that."""
    # t's own use, the storage object asked for, and where t is a view (a product's 2-D output
    # shaped back to [batch, tokens, width]) the base it keeps alive. Without the count: no.
    return storage_uses(t) == 2 + (t._base is not None)


def swiglu(gate: torch.Tensor, up: torch.Tensor, private: bool = False) -> torch.Tensor:
    """silu(gate) * up, its gradients by the same kernel (`usable` must hold). `private`: the
    caller holds gate and up only to pass them here (no hook or other code keeps them), so the
    backward may write their gradients over them."""
    return SwiGLU.apply(gate, up, private)
