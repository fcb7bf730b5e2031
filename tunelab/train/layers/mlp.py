"""Llama's MLP with its SwiGLU, silu(gate) * up, in one pass each way, for training in float32
on a CPU with AVX2 (tunelab/kernels/swiglu.py).

Llama's MLP, copied into Mistral, Qwen2/3, SmolLM and many other models of transformers, is
`down_proj(act_fn(gate_proj(x)) * up_proj(x))`; with SiLU as `act_fn` autograd keeps three
[tokens, intermediate] tensors a layer for the backward and runs it in three passes. Here the
kernel keeps gate and up only and runs one pass each way: on the 135M model's 30 MLPs (768
tokens, timed alone) 68-71 ms forward and backward against 106-115, 4.7 MB a layer less kept;
in training steps 1.07-1.10x a LoRA step and 1.07x a full one (paired steps,
benchmarks/README.md, "Training throughput"). The output and gradients equal autograd's to
rounding (tests/test_mlp.py). Where no forward hook sees gate_proj's or up_proj's output, the
backward writes its two gradients over gate and up (tunelab/kernels/swiglu.py). Any other
forward (no gradients, another activation, another dtype or device, torch.compile) runs the
module's own code."""

from __future__ import annotations

import functools

import torch
from torch import nn

from tunelab.kernels import swiglu
from tunelab.models.architecture import llamas_code


def use_for_training(model: nn.Module) -> int:
    """Give every MLP of `model` that computes Llama's MLP with SiLU this forward for its
    training steps; returns how many were given it."""
    mlps = [m for m in model.modules() if _computes_llama_mlp(type(m)) and _silu(m)]
    for mlp in mlps:
        # A subclass, as tunelab/train/layers/rms_norm.py gives its norms, not a function on the
        # instance: that would tie the module to itself in a cycle.
        mlp.__class__ = _fused(type(mlp))
    return len(mlps)


@functools.cache
def _fused(cls: type) -> type:
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.is_grad_enabled() or torch.compiler.is_compiling():
            return cls.forward(self, x)
        gate, up = self.gate_proj(x), self.up_proj(x)
        if not (gate.requires_grad or up.requires_grad) or not swiglu.usable(gate, up):
            return self.down_proj(self.act_fn(gate) * up)
        return self.down_proj(swiglu.swiglu(gate, up, private=_unseen(self)))

    return type(cls.__name__, (cls,), {"forward": forward, "__module__": __name__})


def _unseen(mlp: nn.Module) -> bool:
    """Whether no forward hook can see (and keep) gate_proj's or up_proj's output: then the
    SwiGLU's backward may write its gradients over them."""
    from torch.nn.modules import module

    if module._global_forward_hooks:
        return False
    return not any(m._forward_hooks for p in (mlp.gate_proj, mlp.up_proj) for m in p.modules())


def _silu(mlp: nn.Module) -> bool:
    """Whether the MLP's activation is SiLU: torch's module, or transformers' (F.silu)."""
    act = getattr(mlp, "act_fn", None)
    if type(act) is nn.SiLU:
        return True
    from transformers.activations import SiLUActivation

    return type(act) is SiLUActivation


@functools.cache
def _computes_llama_mlp(cls: type) -> bool:
    """Whether the class's forward is LlamaMLP's, character for character."""
    return cls.__name__.endswith("MLP") and llamas_code(cls.forward, "LlamaMLP.forward")
