"""Decoding's products for a few rows at a time: tunelab's own kernel (thin.cpp), compiled once.

A decoding step multiplies one row per reply by every weight. One row is bound by reading the
weights; 8 rows should cost about the same, since each weight read serves all 8. oneDNN's kernel,
even on weights packed once, took 34 ms for the 135M model's products at 8 rows against 21 at 1
(one thread of the project's 2-core AMD EPYC); this one 18 and 17, and 22 at 16 rows against
oneDNN's 40 (benchmarks/README.md, "Serving under load"). Many rows, a prompt's prefill, run
about as fast as oneDNN's (0.97x at 512 rows on two threads).

It is compiled with tunelab's other CPU kernels the first time a process needs one
(tunelab/kernels/build.py). Where it cannot be (no compiler, not an x86-64 CPU with AVX2, or
TUNELAB_KERNELS=0), decoding keeps oneDNN's packed kernel: slower at a few rows, the same model.
"""

from __future__ import annotations

import torch

from tunelab.kernels.build import available

PANEL = 32
# Instruction sets, as thin.cpp numbers them; 0 asks for the best this CPU has.
AVX2, AVX512 = 1, 2

__all__ = ["available", "best_isa", "linear", "pack"]


def pack(weight: torch.Tensor) -> torch.Tensor:
    """weight [n, k] as panels of 32 output columns, [ceil(n / 32), k, 32], zero-padded."""
    n, k = weight.shape
    panels = -(-n // PANEL)
    padded = weight.detach().new_zeros((panels * PANEL, k))
    padded[:n] = weight.detach()
    return padded.view(panels, PANEL, k).transpose(1, 2).contiguous()


def linear(
    x: torch.Tensor,
    packed: torch.Tensor,
    n: int,
    bias: torch.Tensor | None = None,
    isa: int = 0,
) -> torch.Tensor:
    """x @ weight.T (+ bias), with the weight as `pack` made it; n = the weight's rows."""
    return torch.ops.tunelab_thin.linear(x, packed, n, bias, isa)


def best_isa() -> int:
    """AVX512, AVX2, or 0 where the CPU has neither (the kernel must be loaded)."""
    return torch.ops.tunelab_thin.best_isa()
