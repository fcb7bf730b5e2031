"""Attention inside each packed document only, for training on a CPU.

A packed row holds several documents; sdpa given the block-diagonal mask still computes every
query against every key of the row and throws most of it away (on lamini_docs, ~83-token
documents in 256-token rows: ~6x the work needed), and the CPU's flash kernel cannot skip the
masked blocks. Here each document is its own causal attention call, so only the work inside
documents is done and no [rows, 1, T, T] mask is built. The documents are read from
`position_ids`, which restart at 0 where a document starts (tunelab.data.pack); padding at a
row's end continues its last document, and no real token sees it (causal).

Selected by `train.attention: auto` on a CPU (or `documents` anywhere); equal to sdpa with the
block-diagonal mask (tests/test_document_attention.py). Documents of up to 1,024 tokens run
tunelab's own kernel where it compiled (tunelab/kernels/attention.py; AVX2 code, AVX-512 where
the CPU has it), longer ones sdpa's. A
call that asks for more than plain causal attention (GPT-OSS's sinks, a bias, a bidirectional
layer) goes to attention that does it. Attention per layer, forward and backward, 2 threads, sdpa
per document against sdpa with the mask: 11.7 -> 8.6 ms for three 256-token rows of ~85-token
documents, 105 -> 37 ms for two 1,024-token rows of 60-300-token ones."""

from __future__ import annotations

import sys

import torch
import torch.nn.functional as F
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

from tunelab.errors import TunelabError
from tunelab.kernels import attention as kernel
from tunelab.models.architecture import attention_window

NAME = "tunelab_documents"


# Left out of torch.compile's graphs (`train.compile`): the loop follows the positions' values,
# so a traced one would recompile for every new set of document lengths.
@torch.compiler.disable
def document_attention(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    position_ids: torch.Tensor | None = None,
    **kwargs,
) -> tuple[torch.Tensor, None]:
    """query [rows, heads, T, dim], key/value [rows, kv_heads, T, dim] -> [rows, T, heads, dim]."""
    if beyond_plain(module, kwargs):
        return own_attention(module, query, key, value, attention_mask, dropout, scaling, **kwargs)
    if position_ids is None or query.shape[2] != key.shape[2] or not module.training:
        # Decoding with a cache (held-out answers during training), or a forward without
        # positions: sdpa with the mask transformers built for it.
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout, scaling, **kwargs
        )
    bounds, documents = read_documents(position_ids)
    if int(documents[:, 2].max()) <= kernel.LONGEST and kernel.usable(query, dropout):
        scale = scaling if scaling is not None else query.shape[-1] ** -0.5
        return kernel.attend(query, key, value, documents, scale), None
    groups = query.shape[1] // key.shape[1]
    rows = []
    # Split, not sliced: a slice's gradient is a zero tensor the size of the whole input with
    # the slice copied in, once per document; a split's is one concatenation per row.
    for q_row, k_row, v_row, row_bounds in zip(
        query.unbind(0), key.unbind(0), value.unbind(0), bounds
    ):
        sizes = [end - start for start, end in row_bounds]
        parts = [
            F.scaled_dot_product_attention(
                q[None],
                k[None],
                v[None],
                dropout_p=dropout,
                is_causal=True,
                scale=scaling,
                enable_gqa=groups > 1,  # each key head serves `groups` query heads
            )[0]
            for q, k, v in zip(
                q_row.split(sizes, dim=1), k_row.split(sizes, dim=1), v_row.split(sizes, dim=1)
            )
        ]
        rows.append(torch.cat(parts, dim=1) if len(parts) > 1 else parts[0])
    return torch.stack(rows).transpose(1, 2).contiguous(), None


# What a model may ask of its attention besides plain causal softmax: attention sinks (GPT-OSS's
# `s_aux`), a soft cap, a window, a relative position bias (T5's family), bidirectional attention.
_ASKS_MORE = ("s_aux", "softcap", "sliding_window", "position_bias")


def beyond_plain(module: torch.nn.Module, kwargs: dict) -> bool:
    """Whether this call asks for more than the plain causal attention done here."""
    bidirectional = kwargs.get("is_causal", getattr(module, "is_causal", True)) is False
    return bidirectional or any(kwargs.get(name) is not None for name in _ASKS_MORE)


def own_attention(module, query, key, value, attention_mask, dropout, scaling, **kwargs):
    """Attention as the model asks for it: sdpa's, which takes a window's mask, a bias and
    `is_causal`; for sinks or a soft cap, which sdpa has not, the model's own code's
    (`eager_attention_forward`), which adds its mask to the scores: the boolean one built for
    sdpa (or none, for plain causal) is made so."""
    if all(kwargs.get(name) is None for name in ("s_aux", "softcap")):
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout, scaling, **kwargs
        )
    own = getattr(sys.modules.get(type(module).__module__), "eager_attention_forward", None)
    if own is None:  # sdpa would drop the sinks or the cap: a wrong loss, not a slower one
        raise TunelabError(
            f"{type(module).__name__} asks for attention sinks or a soft cap and its module has "
            "no eager_attention_forward: set train.attention: sdpa (or eager) for this model"
        )
    causal = kwargs.get("is_causal", getattr(module, "is_causal", True)) is not False
    if attention_mask is None and causal:  # a bidirectional call without a mask needs none
        length, width = query.shape[2], key.shape[2]
        attention_mask = torch.ones(length, width, dtype=torch.bool, device=query.device)
        attention_mask = attention_mask.tril(width - length)[None, None]
    if attention_mask is not None and attention_mask.dtype == torch.bool:
        lowest = torch.finfo(query.dtype).min
        attention_mask = torch.zeros_like(attention_mask, dtype=query.dtype).masked_fill(
            ~attention_mask, lowest
        )
    return own(
        module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
    )


# The last batch's documents: every layer of a forward gets the same position_ids tensor, and
# reading them is a Python loop over its tokens.
_last_read: tuple[torch.Tensor, int, list, torch.Tensor] | None = None


def read_documents(position_ids: torch.Tensor) -> tuple[list[list[tuple[int, int]]], torch.Tensor]:
    """`document_bounds` of the positions, and the same documents as an int64 [n, 3] tensor of
    (row, start, length); read once for all the layers of a forward."""
    global _last_read
    last = _last_read
    if last is not None and last[0] is position_ids and last[1] == position_ids._version:
        return last[2], last[3]
    bounds = document_bounds(position_ids)
    documents = torch.tensor(
        [(r, start, end - start) for r, row in enumerate(bounds) for start, end in row],
        dtype=torch.long,
    ).reshape(-1, 3)
    _last_read = (position_ids, position_ids._version, bounds, documents)
    return bounds, documents


def document_bounds(position_ids: torch.Tensor) -> list[list[tuple[int, int]]]:
    """Each row's documents as (start, end) columns: a document starts where positions restart."""
    width = position_ids.shape[-1]
    bounds = []
    for row in position_ids.reshape(-1, width).tolist():
        starts = [0] + [i for i in range(1, width) if row[i] <= row[i - 1]]
        bounds.append(list(zip(starts, starts[1:] + [width])))
    return bounds


def suits(config) -> bool:
    """Whether a model's attention is plain causal softmax attention, which this reproduces:
    not windowed (Mistral, Gemma), not soft-capped (Gemma 2)."""
    return attention_window(config) is None and not getattr(config, "attn_logit_softcapping", None)


AttentionInterface.register(NAME, document_attention)
# The mask transformers builds for sdpa: used only by the fallback above.
AttentionMaskInterface.register(NAME, sdpa_mask)
