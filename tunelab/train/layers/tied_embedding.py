"""The input embedding's gradient, when it shares its weight with the output head (tied, as in
SmolLM2, Qwen2.5-0.5B, Llama 3.2 1B) and the fused loss (tunelab.train.loss) computes the head's.

The embedding's gradient is a few rows, one per token of the batch, but autograd makes it a
vocabulary-sized tensor of zeros with those rows added, then adds that to the head's gradient:
for SmolLM2 a fresh 113 MB every step, which the CPU faults in page by page (110 ms of a 2.5 s
step of full finetuning). Here the embedding's backward adds its rows into the head's gradient,
which is still waiting in autograd for the weight's other use, and gives the weight nothing of
its own: the same sum (tests/test_loss.py)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class Handoff:
    """The head's gradient, from the loss's backward to the embedding's (which runs after it:
    the embedding's output gradient needs the whole decoder's backward)."""

    head_gradient: torch.Tensor | None = None


def tied(embedding: nn.Module, head: nn.Module) -> bool:
    """Whether the embedding is a plain lookup of the head's trained weight (not a scaled one,
    as Gemma 3's; not a sharded one, as under FSDP)."""
    return (
        type(embedding) is nn.Embedding
        and embedding.weight is head.weight
        and type(head.weight) is nn.Parameter
        and head.weight.requires_grad
        and embedding.max_norm is None
        and not embedding.scale_grad_by_freq
    )


class TiedLookup(torch.autograd.Function):
    """F.embedding(ids, weight), whose gradient for `weight` goes into the head's."""

    @staticmethod
    def forward(ctx, ids, weight, handoff: Handoff, padding_idx: int | None):
        ctx.save_for_backward(ids)
        ctx.handoff, ctx.padding_idx, ctx.shape = handoff, padding_idx, weight.shape
        return F.embedding(ids, weight, padding_idx)

    @staticmethod
    def backward(ctx, grad):
        (ids,) = ctx.saved_tensors
        rows, ids = grad.reshape(-1, grad.shape[-1]), ids.reshape(-1)
        if ctx.padding_idx is not None:  # as F.embedding: the padding row learns nothing
            keep = ids != ctx.padding_idx
            rows, ids = rows[keep], ids[keep]
        # Taken, not read: the handoff must not keep autograd's tensor alive (it would be copied).
        target, ctx.handoff.head_gradient = ctx.handoff.head_gradient, None
        if target is None:  # the head had no gradient to give: a gradient of its own after all
            return None, grad.new_zeros(ctx.shape).index_add_(0, ids, rows), None, None
        target.index_add_(0, ids, rows.to(target.dtype))
        return None, None, None, None
