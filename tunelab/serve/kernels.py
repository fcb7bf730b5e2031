"""The matrix products of the engine's forward passes through oneDNN rather than MKL, on a CPU.

A decoding step multiplies a few rows (one per request in the batch) by every weight matrix, and
its cost should be reading the weights once, whatever the rows. MKL's sgemm (torch's default for
float32) is slow on such thin products: profiled on the 2-core AMD test machine, 1 thread, the
135M model's linear layers took 31 ms for 1 row and 60 ms for 8 through MKL, 40 ms for 8 through
oneDNN (benchmarks/README.md, "Serving under load"). Only the engine's thread is affected: a torch
function mode holds for the thread that enters it, and the model itself is not changed."""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode


class OneDnnLinear(TorchFunctionMode):
    """Within it, `F.linear` on float32 CPU tensors runs oneDNN's kernel; anything else as usual."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is F.linear and args[0].dtype == torch.float32 and not args[0].is_cuda:
            bias = args[2] if len(args) > 2 else kwargs.get("bias")
            return torch.ops.mkldnn._linear_pointwise(args[0], args[1], bias, "none", [], "")
        return func(*args, **kwargs)


def decoding_kernels(model: torch.nn.Module) -> contextlib.AbstractContextManager:
    """What to run the engine's forward passes in: oneDNN's linear for a float32 model on a CPU
    whose torch has oneDNN, else nothing different."""
    weight = next(model.parameters())
    if (
        weight.device.type == "cpu"
        and weight.dtype == torch.float32
        and torch.backends.mkldnn.is_available()
        and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    ):
        return OneDnnLinear()
    return contextlib.nullcontext()
