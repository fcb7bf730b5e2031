"""Next-token loss summed over trained tokens only.

The output projection runs only on positions that have a target: prompt and padding positions
never materialise vocabulary-sized logits, which saves time and memory on short-answer data."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel

from tunelab.data.tokenize import IGNORE

# Rows of logits computed at once: bounds the fp32 logits tensor to CHUNK x vocab.
CHUNK = 4096


def _parts(model: PreTrainedModel):
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = base.config
    if getattr(config, "final_logit_softcapping", None) or getattr(config, "logit_scale", None):
        return None  # these models post-process logits: use their own forward
    if not hasattr(base, "get_decoder") or base.get_output_embeddings() is None:
        return None
    return base.get_decoder(), base.get_output_embeddings()


def token_loss_sum(model: PreTrainedModel, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, int]:
    """(sum of cross-entropy over trained tokens, number of trained tokens)."""
    targets = batch["targets"]
    mask = targets != IGNORE
    n_tokens = int(mask.sum())
    parts = _parts(model)
    if parts is None:
        logits = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"],
                       use_cache=False).logits
        loss = F.cross_entropy(logits[mask].float(), targets[mask], reduction="sum")
        return loss, n_tokens
    decoder, lm_head = parts
    hidden = decoder(
        input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False
    ).last_hidden_state
    selected, wanted = hidden[mask], targets[mask]
    loss = hidden.new_zeros((), dtype=torch.float32)
    for start in range(0, selected.shape[0], CHUNK):
        logits = lm_head(selected[start : start + CHUNK]).float()
        loss = loss + F.cross_entropy(logits, wanted[start : start + CHUNK], reduction="sum")
    return loss, n_tokens
