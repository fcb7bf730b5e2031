"""Attention for the engine's mixed forward: the decoding rows' next tokens and chunks of new
prompts go through the model as one sequence of tokens, so its weights are read once for all,
and this splits that sequence back into one attention call per part: the decoding rows each over
its own slot of the cache, each prompt chunk over its staging slot (tunelab.serve.slots).

Each part is the call the engine made before the two were fused, with the same shapes and masks,
so replies do not change (tests/test_serve_engine.py). Any other forward of the model (generate,
logprobs, eval on the same model object) is not given parts and runs the model's own kernel."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import torch
from transformers import AttentionInterface, PreTrainedModel
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, eager_mask, sdpa_mask

PREFIX = "tunelab_slots_"
# The kernels a part can run (both take the engine's 4D masks), and the masks transformers builds
# for them when a forward is not the engine's.
MASKS = {"sdpa": sdpa_mask, "eager": eager_mask}


def eager_attention(module, *args, **kwargs):
    # Each model's file has its own eager attention (Gemma 2's soft-caps its scores): the one
    # the layer would have called.
    return sys.modules[type(module).__module__].eager_attention_forward(module, *args, **kwargs)


def additive(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """A boolean mask as eager attention takes it, added to the scores: 0 where a key is seen,
    the lowest float elsewhere (as transformers' eager_mask makes it)."""
    return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(
        ~mask, torch.finfo(dtype).min
    )


@dataclass
class Part:
    """Cache slots (as many as `keys` has rows) that add `tokens` of the forward, as many to each,
    attending to `keys`/`values` [rows, kv_heads, columns, dim] under `mask` [rows, 1, q, columns]."""

    tokens: slice
    keys: torch.Tensor
    values: torch.Tensor
    mask: torch.Tensor


class Parts(list):
    """What the slot cache gives a layer in place of its keys: the parts of a mixed forward."""


def use(model: PreTrainedModel) -> str:
    """Let `model` take mixed forwards; its other forwards keep its current kernel (sdpa unless
    it was loaded with eager, which Gemma 2's soft-capping needs). Returns that kernel's name."""
    current = model.config._attn_implementation or "sdpa"
    if current.startswith(PREFIX):
        return current.removeprefix(PREFIX)
    inner = current if current in MASKS else "sdpa"
    name = PREFIX + inner
    attention = eager_attention if inner == "eager" else sdpa_attention_forward

    def slot_attention(module, query, key, value, attention_mask, dropout=0.0, scaling=None, **kw):
        if not isinstance(key, Parts):
            return attention(module, query, key, value, attention_mask, dropout, scaling, **kw)
        outputs = []
        for part in key:
            # query [1, heads, tokens, dim] -> this part's [rows, heads, tokens per row, dim]
            rows = part.keys.shape[0]
            q = query[0, :, part.tokens].unflatten(1, (rows, -1)).transpose(0, 1)
            out, _ = attention(module, q, part.keys, part.values, part.mask, dropout, scaling, **kw)
            outputs.append(out.flatten(0, 1))  # [rows * tokens per row, heads, dim]
        return torch.cat(outputs)[None], None

    AttentionInterface.register(name, slot_attention)
    AttentionMaskInterface.register(name, MASKS[inner])
    model.set_attn_implementation(name)
    return inner
