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
from tunelab.kernels import training_kernels, training_linear, uses_onednn
from tunelab.models.architecture import carries_state, decoder_and_head
from tunelab.train.layers.document_attention import document_bounds
from tunelab.train.layers.head_gradient import gradient_buffer
from tunelab.train.layers.tied_embedding import Handoff, TiedLookup, tied

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

    Within a chunk the logits are made transposed, [vocabulary, tokens], a block of the
    vocabulary at a time, and the softmax is put together across blocks as in flash attention.
    On a CPU that is ~100 ms less a step of the 135M model's full finetuning (0.43 -> 0.33 s for
    the head, measured alone; benchmarks/README.md): oneDNN's product is faster with the big
    matrix first, the weight's gradient then needs no transposed copy of the logits, and each
    block's gradients are taken while its weight rows and logits are still in the cache.
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
        # Filled by the first chunk, then added to: no vocabulary-sized zeros to write and read
        # back, and on a CPU memory kept from the last step (tunelab.train.layers.head_gradient).
        # With no token (a micro-batch that trains none) no chunk fills it: zeros, not stale memory.
        grad_weight = None
        if weight.requires_grad:
            grad_weight = gradient_buffer(weight)
            if not len(hidden):
                grad_weight.zero_()
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        block = vocabulary_block(weight)
        for start in range(0, hidden.shape[0], chunk):
            part, wanted = hidden[start : start + chunk], targets[start : start + chunk]
            loss, chunk_grad_hidden = _chunk(
                part, weight, wanted, block, grad_hidden is not None, grad_weight, start > 0
            )
            total += loss
            if grad_hidden is not None:
                grad_hidden[start : start + chunk] = chunk_grad_hidden
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


# Rows of the weight per block of the vocabulary: 8 MiB of them, so that a block's weight rows
# and logits stay in the cache between its product and its gradients'.
BLOCK_BYTES = 2**23


def vocabulary_block(weight: torch.Tensor) -> int:
    """Vocabulary rows per block: on a CPU a cache's worth; elsewhere the whole vocabulary."""
    if not uses_onednn(weight):
        return weight.shape[0]
    return max(64, BLOCK_BYTES // (weight.shape[1] * weight.element_size()))


def _chunk(
    part: torch.Tensor,
    weight: torch.Tensor,
    wanted: torch.Tensor,
    block: int,
    want_hidden: bool,
    grad_weight: torch.Tensor | None,
    add: bool,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One chunk of tokens: (its loss, its hidden states' gradient), and its share of the
    weight's gradient written into `grad_weight` (added to it when `add`)."""
    # a @ b.T, by the kernel of the decoder's products (tunelab/kernels/__init__.py)
    times_t = training_linear if uses_onednn(weight) else (lambda a, b: a @ b.T)
    columns = torch.arange(len(wanted), device=wanted.device)
    target = torch.empty(len(wanted), dtype=torch.float32, device=part.device)
    # Pass 1: each block's logits, exponentiated against the block's own maximum.
    starts = range(0, weight.shape[0], block)
    blocks, targets_at, tops, sums = [], [], [], []
    for first in starts:
        logits = times_t(weight[first : first + block], part).float()  # [rows, tokens]
        inside = (wanted >= first) & (wanted < first + block)
        at = (wanted[inside] - first, columns[inside])  # (row, token) of the targets in it
        target[inside] = logits[at]
        targets_at.append(at)
        top = logits.amax(dim=0, keepdim=True)
        sums.append(logits.sub_(top).exp_().sum(dim=0, keepdim=True))
        blocks.append(logits)
        tops.append(top)
    tops_all = torch.cat(tops)  # [blocks, tokens]
    top = tops_all.amax(dim=0, keepdim=True)
    rescale = tops_all.sub_(top).exp_()  # each block's exponentials -> against the overall top
    total = (torch.cat(sums) * rescale).sum(dim=0, keepdim=True)
    loss = (top + total.log()).squeeze(0).sub(target).sum()
    if not want_hidden and grad_weight is None:
        return loss, None
    # Pass 2: each block's softmax minus the one-hot targets, and its products.
    rescale.div_(total)
    grad_hidden = None
    for i, first in enumerate(starts):
        grad_logits = blocks[i].mul_(rescale[i])  # softmax, in place
        blocks[i] = None
        grad_logits[targets_at[i]] -= 1
        grad_logits = grad_logits.to(part.dtype)
        rows = weight[first : first + block]
        if grad_weight is not None:
            product, into = times_t(grad_logits, part.T), grad_weight[first : first + block]
            if add:
                into.add_(product)
            else:
                into.copy_(product)
        if want_hidden:
            product = times_t(grad_logits.T, rows.to(part.dtype).T)
            grad_hidden = product if grad_hidden is None else grad_hidden.add_(product)
    return loss, grad_hidden


def token_loss_sum(
    model: PreTrainedModel, batch: dict[str, torch.Tensor]
) -> tuple[torch.Tensor, int]:
    """(sum of cross-entropy over trained tokens, number of trained tokens)."""
    # Every product of the forward pass in oneDNN on a CPU (tunelab/kernels/__init__.py); the fused
    # loss calls oneDNN itself.
    with training_kernels(model):
        return _token_loss_sum(model, batch)


def _token_loss_sum(model: PreTrainedModel, batch: dict[str, torch.Tensor]):
    # Training gives such a model unpacked rows (setup.row_packing); this is for other callers.
    if carries_state(model) and _packed(batch["position_ids"]):
        batch = one_document_a_row(batch)
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
        # Without grad mode (the held-out loss) the weight is a constant: a Function's forward
        # cannot tell, and would make the head's gradient (113 MB for SmolLM2) for nothing.
        weight = lm_head.weight if torch.is_grad_enabled() else lm_head.weight.detach()
        loss = LinearCrossEntropy.apply(selected, weight, wanted, chunk, handoff)
        return loss, n_tokens
    loss = hidden.new_zeros((), dtype=torch.float32)
    # One chunk at least, empty if need be: a micro-batch that trains no token still needs its
    # (zero) loss in the graph, or its backward fails where the plain cross-entropy's runs.
    for start in range(0, max(len(selected), 1), chunk):
        logits = lm_head(selected[start : start + chunk]).float()
        loss = loss + F.cross_entropy(logits, wanted[start : start + chunk], reduction="sum")
    return loss, n_tokens


def _packed(position_ids: torch.Tensor) -> bool:
    """Whether a row holds more than one document: its positions restart (tunelab.data.pack)."""
    return bool((position_ids[:, 1:] <= position_ids[:, :-1]).any())


def one_document_a_row(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Packed rows as one document a row, each padded at its end (positions going on, targets
    ignored): for a model that carries state along the row (architecture.carries_state), which
    positions that restart would not stop. The same loss as each document alone, but every
    document padded to the longest: training unpacks such a model's rows before it starts."""
    rows = {"input_ids": [], "position_ids": [], "targets": []}
    for row, bounds in enumerate(document_bounds(batch["position_ids"])):
        for start, end in bounds:
            for key, parts in rows.items():
                parts.append(batch[key][row, start:end])
    width = max(len(part) for part in rows["targets"])
    out = {}
    for key, parts in rows.items():
        padded = []
        for part in parts:
            extra = width - len(part)
            if key == "targets":
                tail = part.new_full((extra,), IGNORE)
            elif key == "position_ids":
                tail = part[-1] + 1 + torch.arange(extra, device=part.device, dtype=part.dtype)
            else:  # never seen by a real token: it comes after them all
                tail = part[-1:].expand(extra)
            padded.append(torch.cat([part, tail]))
        out[key] = torch.stack(padded)
    return out
