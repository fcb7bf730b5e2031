"""Decoding's matrix products through oneDNN rather than MKL, for a float32 model on a CPU.

A decoding step multiplies a few rows (one per reply in the batch) by every weight matrix. MKL's
sgemm, torch's default for float32, is slow on such thin products on the project's 2-core AMD
machine; oneDNN's kernel answered 64 lamini_docs questions in 9.4 s where MKL took 14.1 s, with
the same greedy text for all 64 (benchmarks/README.md, "Generation"). The model is not changed:
a torch function mode reroutes `F.linear` for the thread that enters it, for as long as it does.
The server found the same (tunelab/serve/kernels.py)."""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode


class OneDnnLinear(TorchFunctionMode):
    """Within it, `F.linear` of float32 CPU tensors runs oneDNN's kernel; anything else as usual."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is F.linear and _cpu_float32(args[0]) and _cpu_float32(args[1]):
            bias = args[2] if len(args) > 2 else kwargs.get("bias")
            return torch.ops.mkldnn._linear_pointwise(args[0], args[1], bias, "none", [], "")
        return func(*args, **kwargs)


def decoding_kernels(model: torch.nn.Module) -> contextlib.AbstractContextManager:
    """What to run a model's forward passes in while decoding: oneDNN's linear for a float32
    model on a CPU whose torch has it, else nothing different."""
    weight = next(model.parameters())
    if (
        _cpu_float32(weight)
        and torch.backends.mkldnn.is_available()
        and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    ):
        return OneDnnLinear()
    return contextlib.nullcontext()


def _cpu_float32(t: torch.Tensor) -> bool:
    return isinstance(t, torch.Tensor) and t.dtype == torch.float32 and t.device.type == "cpu"
