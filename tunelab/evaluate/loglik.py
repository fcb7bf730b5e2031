"""Log-likelihood of continuations given a context, tokenized exactly as lm-evaluation-harness does,
scored fast: all choices of one question share one row, so their context is run through the model
once (a block attention mask keeps the choices from seeing each other)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

# The harness's fallback when neither the model config nor the tokenizer names a context length.
DEFAULT_MAX_LENGTH = 2048


@dataclass
class Request:
    """One question: a context and the continuations to score after it (delimiter included)."""

    context: str
    continuations: list[str]


@dataclass
class _Row:
    """Token ids of one model input: a shared prefix and branches that each attend to it only."""

    request: int
    prefix: list[int]
    branches: list[list[int]]
    slots: list[int]  # which continuation of the request each branch is

    @property
    def length(self) -> int:
        return len(self.prefix) + sum(len(b) for b in self.branches)


def encode(tokenizer: PreTrainedTokenizerBase, text: str) -> list[int]:
    """Encode as the harness does: the tokenizer's own special tokens, unless text starts with BOS."""
    bos = tokenizer.bos_token
    add_special = not (bos and text.startswith(bos))
    return tokenizer(text, add_special_tokens=add_special).input_ids


def encode_pair(
    tokenizer: PreTrainedTokenizerBase, context: str, continuation: str
) -> tuple[list[int], list[int]]:
    """Context and continuation ids: the whole string is encoded and the continuation is its tail.

    Trailing spaces of the context move to the continuation, so " Paris" stays one word-token.
    """
    spaces = len(context) - len(context.rstrip())
    if spaces:
        context, continuation = context[:-spaces], context[-spaces:] + continuation
    if not context:
        # The harness conditions an empty context on the BOS (or EOS) token alone.
        prefix = (
            tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        )
        cont = tokenizer(continuation, add_special_tokens=False).input_ids
        return ([prefix], cont) if cont[:1] != [prefix] else (cont[:1], cont[1:])
    whole = encode(tokenizer, context + continuation)
    context_ids = encode(tokenizer, context)
    return context_ids, whole[len(context_ids) :]


def max_length(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> int:
    """The longest input the model takes, looked up in the same order as the harness."""
    for attr in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(model.config, attr, None)
        if value:
            return int(value)
    limit = getattr(tokenizer, "model_max_length", None)
    return int(limit) if limit and limit < 10**9 else DEFAULT_MAX_LENGTH


def _rows(requests: list[Request], tokenizer, limit: int) -> list[_Row]:
    rows = []
    for r, request in enumerate(requests):
        pairs = [encode_pair(tokenizer, request.context, c) for c in request.continuations]
        contexts = {tuple(ctx) for ctx, _ in pairs}
        longest = max(len(ctx) + len(cont) for ctx, cont in pairs)
        if len(contexts) == 1 and longest <= limit + 1:
            rows.append(_Row(r, pairs[0][0], [cont for _, cont in pairs], list(range(len(pairs)))))
            continue
        # Too long (or contexts differ): one row per choice, left-truncated as the harness does.
        for slot, (ctx, cont) in enumerate(pairs):
            whole = (ctx + cont)[-(limit + 1) :]
            rows.append(_Row(r, whole[: len(whole) - len(cont)], [cont], [slot]))
    return rows


def _batch_inputs(rows: list[_Row], pad_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """input_ids, a boolean 4-D attention mask and position ids for rows packed with branches."""
    width = max(row.length for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    # Every position sees itself, so padding rows never softmax over nothing (NaN).
    mask = torch.eye(width, dtype=torch.bool).repeat(len(rows), 1, 1)
    positions = torch.zeros((len(rows), width), dtype=torch.long)
    for b, row in enumerate(rows):
        n = len(row.prefix)
        ids[b, :n] = torch.tensor(row.prefix)
        mask[b, :n, :n] = torch.ones(n, n, dtype=torch.bool).tril()
        positions[b, :n] = torch.arange(n)
        start = n
        for branch in row.branches:
            end = start + len(branch)
            ids[b, start:end] = torch.tensor(branch)
            mask[b, start:end, :n] = True
            mask[b, start:end, start:end] = torch.ones(
                end - start, end - start, dtype=torch.bool
            ).tril()
            positions[b, start:end] = torch.arange(n, n + len(branch))
            start = end
    return ids, mask[:, None], positions


def _accepts_logits_to_keep(model: PreTrainedModel) -> bool:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "logits_to_keep" in inspect.signature(base.forward).parameters


@torch.inference_mode()
def loglikelihoods(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    requests: list[Request],
    *,
    batch_size: int = 16,
) -> list[list[float]]:
    """Sum of log-probabilities of each continuation's tokens given its request's context."""
    model.eval()
    device = next(model.parameters()).device
    rows = _rows(requests, tokenizer, max_length(model, tokenizer))
    # Longest first, as the harness does: similar lengths share a batch, so little padding.
    rows.sort(key=lambda row: -row.length)
    keep_arg = _accepts_logits_to_keep(model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    scores: list[list[float]] = [[0.0] * len(r.continuations) for r in requests]
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        ids, mask, positions = _batch_inputs(batch, pad_id)
        # Only positions from the last context token on predict continuation tokens: skip the
        # vocabulary projection for the rest (a large share of a small model's compute).
        first = min(len(row.prefix) for row in batch) - 1
        extra = {"logits_to_keep": ids.shape[1] - first} if keep_arg else {}
        logits = model(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            position_ids=positions.to(device),
            **extra,
        ).logits
        offset = ids.shape[1] - logits.shape[1]
        logprobs = torch.log_softmax(logits.float(), dim=-1)
        for b, row in enumerate(batch):
            n, start_pos = len(row.prefix), len(row.prefix)
            for slot, branch in zip(row.slots, row.branches):
                # Token j of a branch is predicted at the previous position of the same branch
                # (the last context token for j = 0).
                prev = [n - 1, *range(start_pos, start_pos + len(branch) - 1)][: len(branch)]
                where = torch.tensor(prev, device=logprobs.device) - offset
                targets = torch.tensor(branch, device=logprobs.device)
                scores[row.request][slot] = float(logprobs[b, where, targets].sum())
                start_pos += len(branch)
    return scores
