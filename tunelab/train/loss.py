"""Next-token loss summed over trained tokens only.

The output projection runs only on positions that have a target: prompt and padding positions
never materialise vocabulary-sized logits. The projection and the cross-entropy are fused: logits
are made a chunk of tokens at a time and turned into gradients at once, so no [tokens, vocabulary]
tensor outlives its chunk (the approach of Liger-Kernel's fused linear cross-entropy, in plain
torch). That is what keeps a 128k-vocabulary model's loss from dominating peak memory."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel

from tunelab.data.tokenize import IGNORE
from tunelab.kernels import onednn_linear, training_kernels, uses_onednn
from tunelab.models import decoder_and_head
from tunelab.train.tied_embedding import Handoff, TiedLookup, tied

# Logits that exist at once (fp32: 256 MiB): a chunk of tokens is this over the vocabulary
# (1,365 tokens of a 49k vocabulary, 523 of a 128k one), never more than MAX_CHUNK tokens.
CHUNK_LOGITS = 2**26
MAX_CHUNK = 4096


def chunk_tokens(vocabulary: int) -> int:
    """Tokens projected onto the vocabulary at once."""
    return max(128, min(MAX_CHUNK, CHUNK_LOGITS // vocabulary))


class LinearCrossEntropy(torch.autograd.Function):
    """sum(cross_entropy(hidden @ weight.T, targets)), its gradients computed during the forward.

    d loss / d logits = softmax(logits) - onehot(target), so each chunk's logits can be dropped as
    soon as they have given their share of the gradients for `hidden` and `weight`.
    """

    @staticmethod
    def forward(
        ctx,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        targets: torch.Tensor,
        chunk: int,
        handoff: Handoff | None = None,
    ):
        grad_hidden = torch.empty_like(hidden) if hidden.requires_grad else None
        # The first chunk's product starts the weight's gradient: no vocabulary-sized zeros (a
        # fresh 113 MB for SmolLM2, which the CPU faults in page by page every step).
        grad_weight = None
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        # a @ b.T, by oneDNN where the decoder's products are (tunelab/kernels.py)
        times_t = onednn_linear if uses_onednn(weight) else (lambda a, b: a @ b.T)
        for start in range(0, hidden.shape[0], chunk):
            part, wanted = hidden[start : start + chunk], targets[start : start + chunk]
            logits = times_t(part, weight).float()
            target = logits.gather(1, wanted[:, None]).squeeze(1)
            # logsumexp in place: torch.logsumexp would hold a second chunk-sized tensor.
            top = logits.amax(dim=-1, keepdim=True)
            sums = logits.sub_(top).exp_().sum(dim=-1, keepdim=True)
            total += (top + sums.log()).squeeze(1).sub(target).sum()
            if grad_hidden is None and not weight.requires_grad:
                continue
            grad_logits = logits.div_(sums)  # softmax, in place
            grad_logits[torch.arange(len(wanted), device=wanted.device), wanted] -= 1
            grad_logits = grad_logits.to(part.dtype)
            if grad_hidden is not None:
                grad_hidden[start : start + chunk] = times_t(grad_logits, weight.to(part.dtype).T)
            if weight.requires_grad:
                product = times_t(grad_logits.T, part.T).float()
                grad_weight = product if grad_weight is None else grad_weight.add_(product)
        # Kept on ctx, not saved for backward, so that backward can hand them over: a gradient no
        # one else holds is summed in place with the weight's other use (the tied embedding),
        # where a saved one is copied into a fresh 113 MB tensor first.
        ctx.grads = [grad_hidden, grad_weight]
        ctx.weight_dtype, ctx.handoff = weight.dtype, handoff
        return total

    @staticmethod
    def backward(ctx, grad_total: torch.Tensor):
        if ctx.grads is None:
            raise RuntimeError("the fused loss gives its gradients once: no retain_graph")
        (grad_hidden, grad_weight), ctx.grads = ctx.grads, None
        # Scaled in place: each is this function's own and used once.
        if grad_hidden is not None:
            grad_hidden.mul_(grad_total)
        if grad_weight is not None:
            grad_weight = grad_weight.mul_(grad_total).to(ctx.weight_dtype)
            if ctx.handoff is not None:  # the tied embedding adds its rows to it
                ctx.handoff.head_gradient = grad_weight
        return grad_hidden, grad_weight, None, None, None


def token_loss_sum(
    model: PreTrainedModel, batch: dict[str, torch.Tensor]
) -> tuple[torch.Tensor, int]:
    """(sum of cross-entropy over trained tokens, number of trained tokens)."""
    # Every product of the forward pass in oneDNN on a CPU (tunelab/kernels.py); the fused
    # loss calls oneDNN itself.
    with training_kernels(model):
        return _token_loss_sum(model, batch)


def _token_loss_sum(model: PreTrainedModel, batch: dict[str, torch.Tensor]):
    targets = batch["targets"]
    mask = targets != IGNORE
    n_tokens = int(mask.sum())
    parts = decoder_and_head(model)
    if parts is None:
        logits = model(
            input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False
        ).logits
        loss = F.cross_entropy(logits[mask].float(), targets[mask], reduction="sum")
        return loss, n_tokens
    decoder, lm_head = parts
    # A plain projection can be fused; a wrapped one (LoRA on lm_head, a bias) runs as itself.
    fused = type(lm_head) is nn.Linear and lm_head.bias is None
    embedding, handoff = decoder.get_input_embeddings(), None
    if fused and tied(embedding, lm_head):
        handoff = Handoff()
        ids = batch["input_ids"]
        inputs = {
            "inputs_embeds": TiedLookup.apply(ids, embedding.weight, handoff, embedding.padding_idx)
        }
    else:
        inputs = {"input_ids": batch["input_ids"]}
    hidden = decoder(
        **inputs, position_ids=batch["position_ids"], use_cache=False
    ).last_hidden_state
    selected, wanted = hidden[mask], targets[mask]
    chunk = chunk_tokens(lm_head.weight.shape[0])
    if fused:
        loss = LinearCrossEntropy.apply(selected, lm_head.weight, wanted, chunk, handoff)
        return loss, n_tokens
    loss = hidden.new_zeros((), dtype=torch.float32)
    for start in range(0, selected.shape[0], chunk):
        logits = lm_head(selected[start : start + chunk]).float()
        loss = loss + F.cross_entropy(logits, wanted[start : start + chunk], reduction="sum")
    return loss, n_tokens
