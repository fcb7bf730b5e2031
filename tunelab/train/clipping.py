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


# Elements summed in float32 before the partial sums go to float64: short enough that float32
# rounding stays near 1e-9 of the norm (4096: 2e-9 on the 135M model's gradients, against 4e-5
# for whole-gradient dots), long enough for the batched product to keep BLAS's pace.
CHUNK = 4096


def total_norm(grads: list[torch.Tensor]) -> torch.Tensor:
    """The 2-norm of all the gradients together: a float64 sum's, rounded to float32.
    Each gradient's squares are summed in chunks of CHUNK by one batched product on every
    thread, and the partial sums added in float64. BLAS's dot over a whole gradient drifted:
    4e-5 relative on the AMD EPYC kind (MKL's AVX2 code there; 4e-6 on the Intel kind), and
    get_total_norm's float32 sums 3e-4 (it also ran each tensor's norm on one thread on the
    Intel kind). Over the 135M model's 272 gradients on the AMD EPYC kind, two runs: 23 and
    29 ms, against 18 and 25 for the dots and 27 and 29 for get_total_norm (benchmarks/
    clip_norm.py); 0.2% of a step. A gradient holding inf or nan makes the norm inf or nan, as
    get_total_norm's."""
    sums = []
    for flat in (g.reshape(-1) for g in grads):
        chunks = flat.numel() // CHUNK
        if chunks:
            rows = flat[: chunks * CHUNK].view(chunks, 1, CHUNK)
            sums.append(torch.bmm(rows, rows.transpose(1, 2)).reshape(-1))
        rest = flat[chunks * CHUNK :]
        if rest.numel() or not chunks:  # most weights are whole chunks; an empty one adds 0
            sums.append(torch.dot(rest, rest).reshape(1))
    return torch.cat(sums).sum(dtype=torch.float64).sqrt().float()


def _folds(optimizer: torch.optim.Optimizer, grads: list[torch.Tensor]) -> bool:
    return (
        type(optimizer) is torch.optim.AdamW
        and bool(optimizer.defaults.get("fused"))
        and bool(grads)
        # The step's kernel takes a float32 scale for float32 gradients only; a DTensor (FSDP)
        # keeps clip_grad_norm_, which sums its shards' norms across processes.
        and all(cpu_float32(g) for g in grads)
    )
