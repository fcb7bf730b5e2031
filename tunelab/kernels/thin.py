"""Decoding's products for a few rows at a time: tunelab's own kernel (thin.cpp), compiled once.

A decoding step multiplies one row per reply by every weight. One row is bound by reading the
weights; 8 rows should cost about the same, since each weight read serves all 8. oneDNN's kernel,
even on weights packed once, took 34 ms for the 135M model's products at 8 rows against 21 at 1
(one thread of the project's 2-core AMD EPYC); this one 21 and 17, and 29 at 16 rows against
oneDNN's 40 (benchmarks/README.md, "Serving under load"). Rows from ~64 on, a prompt's prefill,
run about as fast as oneDNN's (0.97x at 512 rows).

It is compiled the first time a process decodes (~20 s, with the C++ compiler torch extensions
use; cached under ~/.cache/torch_extensions, or TORCH_EXTENSIONS_DIR). Where it cannot be (no
compiler, not an x86-64 CPU with AVX2, or TUNELAB_THIN_KERNEL=0), decoding keeps oneDNN's
packed kernel: slower at a few rows, the same model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import threading
from pathlib import Path

import torch

PANEL = 32
SOURCE = Path(__file__).with_name("thin.cpp")
# Instruction sets, as thin.cpp numbers them; 0 asks for the best this CPU has.
AVX2, AVX512 = 1, 2

log = logging.getLogger(__name__)
_lock = threading.Lock()
_loaded: bool | None = None


def available() -> bool:
    """Whether the kernel is compiled and loaded (compiling it on the first call)."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _load()
        return _loaded


def _load() -> bool:
    if os.environ.get("TUNELAB_THIN_KERNEL", "1") == "0":
        return False
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    from torch.utils import cpp_extension

    source = SOURCE.read_bytes()
    # A name per source text, so that an upgrade compiles anew instead of loading a stale build.
    name = "tunelab_thin_" + hashlib.sha256(source).hexdigest()[:12]
    try:
        if not _built(name):
            log.warning("tunelab: compiling its decoding kernel, once (~20 s)")
        cpp_extension.load(
            name=name,
            sources=[str(SOURCE)],
            extra_cflags=["-O3", "-fopenmp"],
            extra_ldflags=["-fopenmp"],
            is_python_module=False,
            verbose=False,
        )
    except Exception as error:  # no compiler, no headers: decoding still works, slower
        log.warning(
            "tunelab: its decoding kernel did not compile (%s); decoding uses oneDNN's, "
            "slower for a few rows at a time",
            str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__,
        )
        return False
    return torch.ops.tunelab_thin.best_isa() > 0


def _built(name: str) -> bool:
    """Whether a build of this source is on disk (only to say, or not, that it will compile)."""
    from torch.utils import cpp_extension

    try:  # a private helper of torch's: if it moves, the only loss is the note
        folder = Path(cpp_extension._get_build_directory(name, verbose=False))
    except Exception:
        return True
    return (folder / f"{name}.so").exists()


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
