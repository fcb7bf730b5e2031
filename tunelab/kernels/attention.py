"""Training's causal attention inside each packed document, by tunelab's own kernel
(attention.cpp), where it compiled and the CPU has AVX2 with FMA (AVX-512 where present).

torch's CPU flash kernel, called once per document (tunelab/train/layers/document_attention.py),
runs lamini_docs' ~90-token documents at ~15 GFLOP/s forward and backward on one thread of the
project's CPU; this kernel, which holds a document's whole score matrix in the cache and only
computes its causal triangle, 2.1x faster there (benchmarks/README.md, "Training throughput"); 1.8x
in its AVX2 code on an AMD Zen 2 without AVX-512. It saves what flash saves, the output and each
row's log-sum-exp, and computes the scores again in the backward, so a long document costs no more
memory than under sdpa."""

from __future__ import annotations

import functools

import torch

from tunelab.kernels import build

# Longer documents go to sdpa's flash kernel: its blocks suit them, and this kernel's scratch
# holds two [length, length] matrices per thread.
LONGEST = 1024


def usable(query: torch.Tensor, dropout: float) -> bool:
    """Whether this kernel can take a training call: float32 on a CPU with AVX2, no dropout."""
    return query.device.type == "cpu" and query.dtype == torch.float32 and not dropout and _loaded()


@functools.cache  # asked once a layer: the build's lock and the op lookup once a process
def _loaded() -> bool:
    return build.available() and torch.ops.tunelab_attention.available()


def attend(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    documents: torch.Tensor | list[tuple[int, int, int]],
    scale: float,
) -> torch.Tensor:
    """query [rows, heads, T, D], key/value [rows, kv_heads, T, D] (transformers' layout), and
    each document as (row, start, length) -> [rows, T, heads, D], causal within each document."""
    docs = torch.as_tensor(documents, dtype=torch.long).reshape(-1, 3)
    return _DocumentAttention.apply(
        _d_last(query.transpose(1, 2)),
        _d_last(key.transpose(1, 2)),
        _d_last(value.transpose(1, 2)),
        docs,
        scale,
    )


def _d_last(x: torch.Tensor) -> torch.Tensor:
    """[rows, T, heads, D] with D contiguous, as the kernel reads it (any other strides)."""
    return x if x.stride(-1) == 1 else x.contiguous()


class _DocumentAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, query, key, value, docs, scale):
        out, lse = torch.ops.tunelab_attention.forward(query, key, value, docs, scale)
        ctx.save_for_backward(query, key, value, out, lse, docs)
        ctx.scale = scale
        return out

    @staticmethod
    def backward(ctx, grad):
        query, key, value, out, lse, docs = ctx.saved_tensors
        d_query, d_key, d_value = torch.ops.tunelab_attention.backward(
            grad, query, key, value, out, lse, docs, ctx.scale
        )
        return d_query, d_key, d_value, None, None
