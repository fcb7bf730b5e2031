"""Log-likelihood of continuations given a context, tokenized exactly as lm-evaluation-harness does,
scored with as little model work as the numbers allow:

- all choices of one question share one row, so their context runs through the model once (a block
  attention mask keeps the choices from seeing each other), and a choice's last token, which is only
  predicted, takes no position (single-token choices such as MMLU's " A".." D" take none at all);
- questions that start with the same tokens (MMLU's subject header and few-shot examples,
  TruthfulQA's six-pair primer) get those tokens' keys and values computed once and reused.

The harness runs each (context, choice) pair on its own and projects every position onto the
vocabulary; on this data most of that work is repeated."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import torch
from torch import Tensor
from transformers import DynamicCache, PreTrainedModel, PreTrainedTokenizerBase

# The harness's fallback when neither the model config nor the tokenizer names a context length.
DEFAULT_MAX_LENGTH = 2048


@dataclass
class Request:
    """One question: a context and the continuations to score after it (delimiter included)."""

    context: str
    continuations: list[str]


@dataclass
class _Row:
    """Token ids of one model input: a context and branches that each attend to it only."""

    request: int
    prefix: list[int]
    branches: list[list[int]]  # each choice's tokens; all but the last are inputs
    slots: list[int]  # which continuation of the request each branch is
    shared: int = 0  # leading prefix tokens whose keys and values come from a shared cache

    @property
    def length(self) -> int:
        """Positions this row runs through the model (the shared part excluded)."""
        return len(self.prefix) - self.shared + sum(len(b) - 1 for b in self.branches)


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


def _common_length(a: list[int], b: list[int], upto: int) -> int:
    n = 0
    while n < upto and n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def _share_prefixes(rows: list[_Row], min_shared: int) -> list[tuple[list[int], list[_Row]]]:
    """Groups of rows and the leading tokens each group shares (empty when it shares too few).

    Rows are sorted by their token ids, so rows with a common start are neighbours; a row joins the
    group before it while the tokens it saves outweigh what shortening the group's prefix costs.
    Each row keeps its last context token out of the shared part: its logits are needed.
    """
    groups: list[tuple[int, list[_Row]]] = []
    for row in sorted(rows, key=lambda row: row.prefix):
        if groups:
            shared, members = groups[-1]
            first = members[0].prefix
            upto = min(shared, len(row.prefix) - 1)
            common = _common_length(first, row.prefix, upto)
            lost = (len(members) - 1) * (shared - common) if len(members) > 1 else 0
            if common >= min_shared and lost <= common:
                groups[-1] = (common, [*members, row])
                continue
        groups.append((len(row.prefix) - 1, [row]))
    out = []
    for shared, members in groups:
        if len(members) == 1 or shared < min_shared:
            shared = 0
        for row in members:
            row.shared = shared
        out.append((members[0].prefix[:shared], members))
    return out


def _batch_inputs(
    rows: list[_Row], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[list[int]]]:
    """input_ids, a boolean 4-D attention mask (shared columns first) and position ids for rows
    packed with branches, and for each branch the positions whose logits predict its tokens."""
    shared = rows[0].shared
    width = max(row.length for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    # Every position sees itself, so padding rows never softmax over nothing (NaN).
    local = torch.eye(width, dtype=torch.bool).repeat(len(rows), 1, 1)
    positions = torch.zeros((len(rows), width), dtype=torch.long)
    predictors = []
    for b, row in enumerate(rows):
        context = row.prefix[shared:]
        n = len(context)
        ids[b, :n] = torch.tensor(context)
        local[b, :n, :n] = torch.ones(n, n, dtype=torch.bool).tril()
        positions[b, :n] = torch.arange(shared, shared + n)
        start = n
        for branch in row.branches:
            inputs = branch[:-1]
            end = start + len(inputs)
            ids[b, start:end] = torch.tensor(inputs, dtype=torch.long)
            local[b, start:end, :n] = True
            local[b, start:end, start:end] = torch.ones(
                end - start, end - start, dtype=torch.bool
            ).tril()
            positions[b, start:end] = torch.arange(shared + n, shared + n + len(inputs))
            # Token j of a branch is predicted at the position of token j-1 of the same branch
            # (the last context token for j = 0).
            predictors.append([n - 1, *range(start, end)])
            start = end
    mask = torch.cat([torch.ones(len(rows), width, shared, dtype=torch.bool), local], dim=2)
    return ids, mask[:, None], positions, predictors


def _forward_parameters(model: PreTrainedModel) -> set[str]:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return set(inspect.signature(base.forward).parameters)


def _accepts_logits_to_keep(model: PreTrainedModel) -> bool:
    return "logits_to_keep" in _forward_parameters(model)


def _cache_argument(model: PreTrainedModel) -> str:
    # transformers renamed `past_key_values` to `cache` (5.2x); older releases know only the former.
    return "cache" if "cache" in _forward_parameters(model) else "past_key_values"


def _prefix_cache(model: PreTrainedModel, ids: list[int], device) -> list[tuple[Tensor, Tensor]]:
    """Keys and values of every layer for the shared tokens, computed once (batch of one)."""
    out = model(
        input_ids=torch.tensor([ids], device=device),
        use_cache=True,
        **({"logits_to_keep": 1} if _accepts_logits_to_keep(model) else {}),
    )
    cache = out.get("cache") or out.get("past_key_values")
    return [(layer.keys, layer.values) for layer in cache.layers]


def _expanded(prefix: list[tuple[Tensor, Tensor]], batch: int) -> DynamicCache:
    return DynamicCache(
        ddp_cache_data=[
            (k.expand(batch, -1, -1, -1), v.expand(batch, -1, -1, -1)) for k, v in prefix
        ]
    )


@torch.inference_mode()
def loglikelihoods(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    requests: list[Request],
    *,
    batch_size: int = 16,
    min_shared: int = 8,
) -> list[list[float]]:
    """Sum of log-probabilities of each continuation's tokens given its request's context.

    `min_shared`: the fewest leading tokens a group of requests must share for them to be computed
    once (0 turns the reuse off).
    """
    model.eval()
    device = next(model.parameters()).device
    rows = _rows(requests, tokenizer, max_length(model, tokenizer))
    groups = _share_prefixes(rows, min_shared) if min_shared else [([], rows)]
    keep_arg = _accepts_logits_to_keep(model)
    cache_arg = _cache_argument(model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    scores: list[list[float]] = [[0.0] * len(r.continuations) for r in requests]
    for shared_ids, members in groups:
        prefix = _prefix_cache(model, shared_ids, device) if shared_ids else None
        # Longest first, as the harness does: similar lengths share a batch, so little padding.
        members = sorted(members, key=lambda row: -row.length)
        for start in range(0, len(members), batch_size):
            batch = members[start : start + batch_size]
            ids, mask, positions, predictors = _batch_inputs(batch, pad_id)
            # Only positions from the last context token on predict continuation tokens: skip
            # the vocabulary projection for the rest (a large share of a small model's compute).
            first = min(len(row.prefix) - row.shared for row in batch) - 1
            extra = {"logits_to_keep": ids.shape[1] - first} if keep_arg else {}
            if prefix is not None:
                extra[cache_arg] = _expanded(prefix, len(batch))
            logits = model(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                position_ids=positions.to(device),
                **extra,
            ).logits
            offset = ids.shape[1] - logits.shape[1]
            logprobs = torch.log_softmax(logits.float(), dim=-1)
            branch = 0
            for b, row in enumerate(batch):
                for slot, tokens in zip(row.slots, row.branches):
                    where = torch.tensor(predictors[branch], device=logprobs.device) - offset
                    targets = torch.tensor(tokens, device=logprobs.device)
                    scores[row.request][slot] = float(logprobs[b, where, targets].sum())
                    branch += 1
    return scores
