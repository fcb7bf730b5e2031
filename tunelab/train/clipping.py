"""Gradient clipping folded into the optimizer's step, where the optimizer is torch's fused AdamW
on a CPU.

`clip_grad_norm_` reads every gradient once for the norm and again to scale it, writing each back;
the fused AdamW then reads it a third time. Its kernel can divide each gradient by a scale as it
reads it (`grad_scale`, what torch's GradScaler gives it, writing the divided gradient back), so
here the norm is taken and the clipping coefficient handed to the step: one read of every gradient
less. The 135M model's full finetuning: norm, clip and step 178 ms against 211 (the Intel Xeon
kind), ~1% of a step (paired steps 1.015x and 1.006x, within their noise; benchmarks/README.md). The
update equals clip_grad_norm_'s followed by the step to float32 rounding (tests/test_clipping.py).
Elsewhere (another optimizer, a GPU, bfloat16 or sharded gradients) clip_grad_norm_ runs as usual."""

from __future__ import annotations

import torch

from tunelab.kernels import cpu_float32


def clip_gradients(
    params: list[torch.Tensor], max_norm: float, optimizer: torch.optim.Optimizer
) -> torch.Tensor:
    """The gradients' total norm before clipping, as clip_grad_norm_ returns it; the gradients
    are clipped to max_norm by the optimizer's next step, or here."""
    grads = [p.grad for p in params if p.grad is not None]
    if not _folds(optimizer, grads):
        optimizer.grad_scale = None
        return torch.nn.utils.clip_grad_norm_(params, max_norm)
    total = total_norm(grads)
    # clip_grad_norm_'s coefficient, max_norm / (norm + 1e-6) at most 1; the step divides by it.
    coefficient = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    optimizer.grad_scale = coefficient.reciprocal()
    return total


def total_norm(grads: list[torch.Tensor]) -> torch.Tensor:
    """The 2-norm of all the gradients together: the square root of the sum of each one's dot
    product with itself. BLAS's dot runs on every thread and sums in vector lanes: over the 135M
    model's 272 gradients 28 ms against `get_total_norm`'s 58 (which runs each tensor's norm on
    one thread here), and closer to a float64 sum (4e-6 against 3e-4 relative, random
    gradients of that model's shapes; benchmarks/README.md). A gradient holding inf or nan
    makes the norm inf or nan, as get_total_norm's."""
    squares = [torch.dot(flat, flat) for flat in (g.reshape(-1) for g in grads)]
    return torch.stack(squares).sum().sqrt()


def _folds(optimizer: torch.optim.Optimizer, grads: list[torch.Tensor]) -> bool:
    return (
        type(optimizer) is torch.optim.AdamW
        and bool(optimizer.defaults.get("fused"))
        and bool(grads)
        # The step's kernel takes a float32 scale for float32 gradients only; a DTensor (FSDP)
        # keeps clip_grad_norm_, which sums its shards' norms across processes.
        and all(cpu_float32(g) for g in grads)
    )
