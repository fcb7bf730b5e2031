"""Memory while training: give freed tensors back to the system, and the peak a run reached.

Measured on the embedded 135M model, LoRA, batch 8 x 256 tokens: the live tensors of a step peak
near 5.3 GiB (fp32 activations of 30 layers; LoRA dropout keeps its own copy of each adapted
layer's input, 1.6 GiB of it), but the process peaked at 7.7 GiB RSS and kept it between steps.
glibc raises its mmap threshold (up to 32 MiB) after the first large block is freed, then serves
later tensors from its heap, which fragments; a fixed threshold maps each large tensor on its own
and returns it when freed: 5.6 GiB peak, 1.1 GiB between steps. The price, measured on an idle
machine (benchmarks/README.md): every step faults its memory in again, 8.7 -> 14.1 s a step
there, +28% for full finetuning at 3 rows a step. Hence opt-in: train.return_freed_memory.

By default a CPU run goes the other way: glibc keeps what is freed at the top of its heap rather
than trimming it, since the next step asks for the same tensors again (`keep_freed_memory`)."""

from __future__ import annotations

import ctypes
import resource
import sys

import torch

# glibc's mallopt parameters
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
MMAP_THRESHOLD = 1 << 20  # blocks from 1 MiB up are mapped on their own
TRIM_THRESHOLD = 1 << 30  # freed memory at the heap's top kept up to this much
TOP_PAD = 64 << 20  # the heap grows by this much more than asked, for the next step's tensors


def release_freed_memory() -> None:
    """Make glibc map large blocks on their own, so freed tensors go back to the system (Linux
    with glibc only; elsewhere nothing changes)."""
    mallopt((M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def keep_freed_memory() -> None:
    """Make glibc keep up to 1 GiB freed at the top of its heap instead of handing it back to the
    system, for the rest of the process. A training step frees its activations and gradients
    and the next asks for the same sizes again; memory handed back faults in again page by page
    (0.2 ms a MiB on the project's 2-core VM). The 135M model's full finetuning, 3 rows of 256
    a step: 285 MiB of page faults a step, 6 MiB with this, at the same peak RSS (3.12 GiB);
    by that cost ~60 ms of a ~3.2 s step (benchmarks/README.md). Linux with glibc only."""
    mallopt((M_TRIM_THRESHOLD, TRIM_THRESHOLD), (M_TOP_PAD, TOP_PAD))


def mallopt(*settings: tuple[int, int]) -> None:
    """glibc's mallopt(parameter, value) for each pair (Linux with glibc only)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        for parameter, value in settings:
            libc.mallopt(parameter, value)
    except (OSError, AttributeError):  # musl and other libcs have no mallopt
        return


def peak_memory(device: torch.device) -> dict[str, float]:
    """The process's peak resident memory so far, in GiB, and on a GPU the peak it allocated."""
    out = {"peak_rss_gib": round(_peak_rss_bytes() / 2**30, 2)}
    if device.type == "cuda":
        out["peak_gpu_gib"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
    return out


def _peak_rss_bytes() -> int:
    # Linux keeps ru_maxrss across fork and exec: a run started from a large process (a test
    # suite, a notebook) would report its parent's size. VmHWM belongs to this process's image.
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak if sys.platform == "darwin" else peak * 1024


def describe_peak(peak: dict[str, float]) -> str:
    """E.g. "peak memory 5.6 GiB RSS" (and the GPU's)."""
    gpu = f", {peak['peak_gpu_gib']:.1f} GiB on the GPU" if "peak_gpu_gib" in peak else ""
    return f"peak memory {peak['peak_rss_gib']:.1f} GiB RSS{gpu}"
