"""A LoRA layer's forward and backward as one node of the graph, for training in float32 on a CPU.

peft's adapted linear layer is the frozen product plus `lora_B(lora_A(dropout(x))) * scaling`:
five ops a layer forward and as many back, each one an autograd node with its own Python, its own
output of the layer's width to allocate and fill (the scaled adapter output, then its sum with the
base output; in the backward the two input gradients summed), for a rank-16 side path whose own
products are thin. The 135M model has 210 such layers; its LoRA step ran its products at 118
GFLOP/s where full finetuning's ran at 148, with 0.2 s more elementwise work and 0.16 s more
Python a step (benchmarks/README.md, "Training throughput").
Here a layer is one autograd function: the adapter's rank-r output is scaled while it is thin,
its product is added into the frozen product's output in place, and the backward adds the
adapter's part of the input gradient the same way: a LoRA step 1.17x peft's layers (paired steps,
benchmarks/README.md). The output is the module's
to rounding, the gradients autograd's (tests/test_lora_layers.py).
The adapter's dropout runs in the node too, by tunelab's kernel (tunelab/kernels/dropout.py):
torch's CPU dropout drew its mask an element at a time, 5.5 ms a layer, near a third of a LoRA
step at the default dropout of 0.05; the kernel's mask is made again from its seed in the backward,
so neither the mask nor the dropped input is kept (another mask than torch's, as likely).
Anything else (merged or disabled adapters, several active ones, DoRA and other variants, a
quantized or transposed base, autocast, torch.compile, a GPU) runs peft's own forward."""

from __future__ import annotations

import functools

import torch
from torch import nn

from tunelab.kernels import cpu_float32, training_linear, turned, uses_onednn
from tunelab.kernels import dropout as dropout_kernel


def _plus_thin(x, weight, thin, thin_weight, bias=None):
    """x @ weight.T (+ bias) + thin @ thin_weight.T, the second product added into the first's
    output in place: a layer-wide output made once rather than twice and summed. A thin product
    by torch's addmm (MKL) beside oneDNN's, 1.05x a step over oneDNN writing the sum as it makes
    the wide product from a separate thin one (benchmarks/README.md)."""
    out = training_linear(x, weight, bias)
    out.view(-1, out.shape[-1]).addmm_(thin.reshape(-1, thin.shape[-1]), thin_weight.t())
    return out


class LoraLinearFunction(torch.autograd.Function):
    """x @ weight.T + bias + scaling * (dropped @ a.T) @ b.T, with `dropped` the adapter's
    input after its dropout: given (None: x itself), or made here by tunelab's dropout kernel
    when `dropping` is (p, seed), and made again from the seed for the backward rather than kept.
    Gradients for x, dropped, a and b; the frozen weight and bias get none."""

    @staticmethod
    def forward(ctx, x, dropped, weight, bias, a, b, scaling: float, dropping=None):
        if dropping is not None:
            adapter_input = dropout_kernel.dropout(x, *dropping)
        else:
            adapter_input = x if dropped is None else dropped
        # Scaled while it is r wide rather than once it is the layer's width.
        thin = training_linear(adapter_input, a).mul_(scaling)
        output = _plus_thin(x, weight, thin, b, bias)
        kept = adapter_input if dropping is None else x
        ctx.save_for_backward(
            kept if ctx.needs_input_grad[4] else None,
            thin if ctx.needs_input_grad[5] else None,
            weight,
            a,
            b,
        )
        ctx.scaling, ctx.dropping = scaling, dropping
        ctx.separate = dropped is not None
        return output

    @staticmethod
    def backward(ctx, grad):
        adapter_input, thin, weight, a, b = ctx.saved_tensors
        want_x, want_dropped, _, _, want_a, want_b = ctx.needs_input_grad[:6]
        grad_x = grad_dropped = None
        grad_thin = training_linear(grad, b.t()).mul_(ctx.scaling)
        if ctx.dropping is not None:
            if want_x:  # the adapter's share comes back through the forward's mask
                grad_x = training_linear(grad, weight.t())
                dropout_kernel.dropout_add_(
                    grad_x, training_linear(grad_thin, a.t()), *ctx.dropping
                )
            if want_a:
                adapter_input = dropout_kernel.dropout(adapter_input, *ctx.dropping)
        elif want_x or want_dropped:
            if ctx.separate:
                grad_x = training_linear(grad, weight.t()) if want_x else None
                grad_dropped = training_linear(grad_thin, a.t())
            else:
                grad_x = _plus_thin(grad, weight.t(), grad_thin, a.t())
        grad_a = a_gradient(grad_thin, adapter_input) if want_a else None
        grad_b = b_gradient(thin, grad) if want_b else None
        return grad_x, grad_dropped, None, None, grad_a, grad_b, None, None


def a_gradient(grad_thin: torch.Tensor, adapter_input: torch.Tensor) -> torch.Tensor:
    """A's gradient, [r, in]: the scaled thin output's gradient against the adapter's input."""
    return training_linear(
        turned(grad_thin.reshape(-1, grad_thin.shape[-1])),
        adapter_input.reshape(-1, adapter_input.shape[-1]).t(),
    )


def b_gradient(thin: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """B's gradient, [out, r]: the scaled thin output against the layer's output gradient."""
    rows = grad.reshape(-1, grad.shape[-1])
    # Turned around: r rows of output rather than r columns.
    grad_b = training_linear(turned(thin.reshape(-1, thin.shape[-1])), rows.t())
    return grad_b.t().contiguous()


def use_for_training(model: nn.Module) -> int:
    """Give every LoRA linear layer of `model` this forward for its training steps; returns how
    many were given it. A model without peft's layers is left as it is."""
    try:
        from peft.tuners.lora.layer import Linear as LoraLinear
    except ImportError:
        return 0
    layers = [
        m
        for m in model.modules()
        if isinstance(m, LoraLinear) and not getattr(m, "in_one_node", False)
    ]
    for layer in layers:
        # A subclass, as tunelab/train/layers/rms_norm.py gives its norms, not a function on the
        # instance: that would tie the module to itself in a cycle.
        layer.__class__ = _in_one_node(type(layer))
    return len(layers)


@functools.cache
def _in_one_node(cls: type) -> type:
    def forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        parts = None if args or kwargs else _plain_parts(self, x)
        if parts is None:
            return cls.forward(self, x, *args, **kwargs)
        base, a, b, dropout, scaling = parts
        dropped = dropping = None
        if type(dropout) is nn.Dropout and dropout.training and dropout_kernel.usable(x):
            dropping = (dropout.p, dropout_kernel.new_seed())
        elif self.training and not isinstance(dropout, nn.Identity):
            dropped = dropout(x)
        return LoraLinearFunction.apply(x, dropped, base.weight, base.bias, a, b, scaling, dropping)

    return type(
        cls.__name__, (cls,), {"forward": forward, "in_one_node": True, "__module__": __name__}
    )


def _plain_parts(layer, x: torch.Tensor):
    """(base layer, A, B, dropout, scaling) where this step is plain LoRA that the function
    computes (see the module's note), else None."""
    if layer.disable_adapters or layer.merged or len(layer.active_adapters) != 1:
        return None
    name = layer.active_adapters[0]
    if name not in layer.lora_A or name in getattr(layer, "lora_variant", {}):
        return None
    base, lora_a, lora_b = layer.get_base_layer(), layer.lora_A[name], layer.lora_B[name]
    if (
        type(base) is not nn.Linear
        or getattr(layer, "fan_in_fan_out", False)
        or lora_a.bias is not None
        or lora_b.bias is not None
        or base.weight.requires_grad
        or (base.bias is not None and (base.bias.requires_grad or not cpu_float32(base.bias)))
        or not torch.is_grad_enabled()
        or x.numel() == 0
        or torch.is_autocast_enabled("cpu")
        or torch.compiler.is_compiling()
        or not uses_onednn(base.weight)  # float32 on a CPU whose torch has oneDNN
        or not all(cpu_float32(t) for t in (x, lora_a.weight, lora_b.weight))
    ):
        return None
    return base, lora_a.weight, lora_b.weight, layer.lora_dropout[name], layer.scaling[name]
