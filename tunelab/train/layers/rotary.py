"""Rotary position embedding in three passes forward and three back, for training in float32 on
a CPU.

Llama's `apply_rotary_pos_emb`, copied into Mistral, Qwen2/3, SmolLM and many other models of
transformers, rotates the queries and keys as `q * cos + rotate_half(q) * sin`: a product, a
negated half, a concatenation, a second product and a sum, each a fresh tensor of the queries'
size, and as many passes back. Here each half is written once: the product with cos, then the
other half's product with sin added in place; the backward the same way. Liger Kernel replaces
the same function in the same place on a GPU. The output is the function's to rounding, the
gradients autograd's (tests/test_rotary.py); a GPU, another dtype, or a call that tracks no
gradient runs transformers' own code."""

from __future__ import annotations

import functools
import sys

import torch

from tunelab.kernels import cpu_float32
from tunelab.models.architecture import llamas_code, unwrapped


def _rotated(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, sign: float) -> torch.Tensor:
    """x * cos + sign * rotate_half(x) * sin, where rotate_half(x) = cat(-x2, x1) over the
    last dimension's halves; sign -1 is the rotation's transpose (the backward)."""
    half = x.shape[-1] // 2
    out = x * cos
    out[..., :half].addcmul_(x[..., half:], sin[..., :half], value=-sign)
    out[..., half:].addcmul_(x[..., :half], sin[..., half:], value=sign)
    return out


class RotaryFunction(torch.autograd.Function):
    """Queries and keys rotated by the same cos and sin (broadcast over heads)."""

    @staticmethod
    def forward(ctx, q, k, cos, sin):
        ctx.save_for_backward(cos, sin)
        return _rotated(q, cos, sin, 1.0), _rotated(k, cos, sin, 1.0)

    @staticmethod
    def backward(ctx, grad_q, grad_k):
        cos, sin = ctx.saved_tensors
        # The rotation's transpose: the other sign, and each half of sin applied to the other
        # half (Llama's two halves are equal; other rotations' need not be).
        swapped = sin.roll(sin.shape[-1] // 2, -1)
        back = [
            _rotated(g, cos, swapped, -1.0) if g is not None and want else None
            for g, want in zip((grad_q, grad_k), ctx.needs_input_grad[:2])
        ]
        return back[0], back[1], None, None


def use_for_training(model: torch.nn.Module) -> int:
    """Give the modeling modules of `model`'s attention layers whose `apply_rotary_pos_emb` is
    Llama's, character for character, this rotation for forwards that track gradients of
    float32 CPU tensors (the function is a module global there, called by name, so it is
    replaced in its module, as Liger Kernel does). Returns how many modules were given it."""
    modules = {
        sys.modules.get(type(m).__module__)
        for m in model.modules()
        if type(m).__name__.endswith("Attention")
    }
    given = 0
    for module in modules:
        original = getattr(module, "apply_rotary_pos_emb", None)
        if original is None or getattr(original, "in_three_passes", False):
            continue
        if not _computes_llama_rotation(original):
            continue
        module.apply_rotary_pos_emb = _in_three_passes(original)
        given += 1
    return given


def _in_three_passes(original):
    @functools.wraps(original)
    def apply_rotary_pos_emb(q, k, cos, sin, *args, **kwargs):
        unsqueeze_dim = kwargs.get("unsqueeze_dim", args[0] if args else 1)
        if (
            unsqueeze_dim == 1
            and len(args) + len(kwargs) <= 1
            and torch.is_grad_enabled()
            and (q.requires_grad or k.requires_grad)
            and not (cos.requires_grad or sin.requires_grad)
            and all(cpu_float32(t) for t in (q, k, cos, sin))
            and q.dim() == 4
            and cos.dim() == 3
            and q.shape[-1] % 2 == 0
            and cos.shape == sin.shape
            and cos.shape[0] in (1, q.shape[0])  # one batch row: positions shared by all rows
            and cos.shape[1:] == (q.shape[2], q.shape[3])
        ):
            return RotaryFunction.apply(q, k, cos.unsqueeze(1), sin.unsqueeze(1))
        return original(q, k, cos, sin, *args, **kwargs)

    apply_rotary_pos_emb.in_three_passes = True
    return apply_rotary_pos_emb


@functools.cache
def _computes_llama_rotation(function) -> bool:
    """Whether the function's code is Llama's apply_rotary_pos_emb and its rotate_half Llama's."""
    rotate_half = getattr(unwrapped(function), "__globals__", {}).get("rotate_half")
    return (
        llamas_code(function, "apply_rotary_pos_emb")
        and rotate_half is not None
        and llamas_code(rotate_half, "rotate_half")
    )
