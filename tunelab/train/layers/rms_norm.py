"""RMSNorm's backward pass in a few large steps, for training in float32 on a CPU.

Llama's RMSNorm, copied word for word into Mistral, Qwen2/3, SmolLM and some 140 other models of
transformers, is six small ops; autograd saves their inputs and runs their backward as a dozen
passes over the hidden states. Where tunelab's kernels compiled and the CPU has AVX2, the norm is
one kernel each way (tunelab/kernels/rms_norm.py), each row read from cache, not memory, after its
first read; elsewhere the forward keeps the normalised states and one number per token, and the
backward is its closed form in five passes. On the 135M model (576 wide, ~1,200 tokens a step, 61
norms) a norm's forward and backward with its weight trained, two threads, took 4.5 ms as written,
2.2 ms in closed form and 0.70 ms by the kernel (benchmarks/train_norm.py, the Intel Xeon kind);
full finetuning's steps ran 1.10x faster with the kernel than with the closed form (paired steps,
benchmarks/README.md, "Training throughput"). The closed form's output is bitwise the module's, the
kernel's equal to rounding; the gradients equal autograd's to rounding (tests/test_rms_norm.py). A
GPU keeps transformers' code: this was measured on CPUs only."""

from __future__ import annotations

import functools

import torch
from torch import nn

from tunelab.kernels import cpu_float32
from tunelab.kernels import rms_norm as kernel
from tunelab.models.architecture import llamas_code


class RMSNormFunction(torch.autograd.Function):
    """weight * x / sqrt(mean(x^2) + eps) over the last dimension."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
        scale = torch.rsqrt(x.square().mean(-1, keepdim=True).add_(eps))
        normed = x * scale
        ctx.save_for_backward(normed, scale, weight)
        return normed * weight

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        normed, scale, weight = ctx.saved_tensors
        grad_weight = None
        if ctx.needs_input_grad[1]:
            grad_weight = (grad * normed).flatten(0, -2).sum(0)
        grad_normed = grad * weight
        # d(x * scale)/dx applied to grad_normed: scale * (g - normed * mean(g * normed)).
        along = (grad_normed * normed).mean(-1, keepdim=True)
        grad_x = torch.addcmul(grad_normed, normed, along, value=-1).mul_(scale)
        return grad_x, grad_weight, None


def use_for_training(model: nn.Module) -> int:
    """Give every norm of `model` that computes Llama's RMSNorm these passes, for forwards
    that track gradients of float32 CPU tensors; other forwards run the module's own code.
    Returns how many norms were given it."""
    norms = [m for m in model.modules() if _computes_llama_norm(type(m))]
    for norm in norms:
        # A subclass, not a function set on the instance: that would tie the module to itself
        # in a cycle, keeping the model (and under FSDP its process group) alive until the
        # interpreter's exit, where tearing the group down aborted a torchrun worker.
        norm.__class__ = _with_closed_form_backward(type(norm))
    return len(norms)


@functools.cache
def _with_closed_form_backward(cls: type) -> type:
    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        weight = self.weight
        if (
            torch.is_grad_enabled()
            and (hidden_states.requires_grad or weight.requires_grad)
            and cpu_float32(hidden_states)
            and cpu_float32(weight)
        ):
            # torch.compile cannot trace the kernel's op (it has no fake function); it fuses the rest.
            if not torch.compiler.is_compiling() and kernel.usable(hidden_states, weight):
                return kernel.rms_norm(hidden_states, weight, self.variance_epsilon)
            return RMSNormFunction.apply(hidden_states, weight, self.variance_epsilon)
        return cls.forward(self, hidden_states)

    return type(cls.__name__, (cls,), {"forward": forward, "__module__": __name__})


@functools.cache
def _computes_llama_norm(cls: type) -> bool:
    """Whether the class's forward is LlamaRMSNorm's, character for character."""
    return cls.__name__.endswith("RMSNorm") and llamas_code(cls.forward, "LlamaRMSNorm.forward")
