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
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor
from transformers import DynamicCache, PreTrainedModel, PreTrainedTokenizerBase

from tunelab.models.architecture import attention_window, carries_state, decoder_and_head
from tunelab.models.load import context_length


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


def fits_whole(tokenizer: PreTrainedTokenizerBase, request: Request, limit: int) -> bool:
    """Whether every continuation is scored after the whole context in a model reading `limit`
    tokens; else the context is cut from the left, as the harness does."""
    return _fit([encode_pair(tokenizer, request.context, c) for c in request.continuations], limit)


def _fit(pairs: list[tuple[list[int], list[int]]], limit: int) -> bool:
    # The last token is predicted from the ones before it, never read: limit + 1 fit.
    return max(len(ctx) + len(cont) for ctx, cont in pairs) <= limit + 1


def _rows(requests: list[Request], tokenizer, limit: int) -> list[_Row]:
    rows = []
    for r, request in enumerate(requests):
        pairs = [encode_pair(tokenizer, request.context, c) for c in request.continuations]
        contexts = {tuple(ctx) for ctx, _ in pairs}
        if len(contexts) == 1 and _fit(pairs, limit):
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
    out, unshared = [], []
    for shared, members in groups:
        if len(members) == 1 or shared < min_shared:
            unshared += members  # batched together below, with nothing reused
            continue
        for row in members:
            row.shared = shared
        out.append((members[0].prefix[:shared], members))
    for row in unshared:
        row.shared = 0
    return out + ([([], unshared)] if unshared else [])


def _pack(rows: list[_Row]) -> list[list[_Row]]:
    """Rows packed into sequences no longer than the longest row (first fit, longest first), so a
    batch of sequences holds almost no padding; each row keeps to itself through the mask."""
    width = max(row.length for row in rows)
    sequences: list[list[_Row]] = []
    room: list[int] = []
    for row in sorted(rows, key=lambda row: -row.length):
        slot = next((i for i, free in enumerate(room) if free >= row.length), None)
        if slot is None:
            sequences.append([row])
            room.append(width - row.length)
        else:
            sequences[slot].append(row)
            room[slot] -= row.length
    return sequences


@dataclass
class _Batch:
    """Model inputs for packed sequences, and where each continuation token is predicted."""

    ids: Tensor
    mask: Tensor  # [batch, 1, positions, shared + positions], True where attention is allowed
    positions: Tensor
    picks: tuple[Tensor, Tensor, Tensor]  # (sequence, position, token) of every predicted token
    owners: Tensor  # for each pick, the index of its (request, slot) in `keys`
    keys: list[tuple[int, int]]


def _batch_inputs(sequences: list[list[_Row]], shared: int, pad_id: int) -> _Batch:
    width = max(sum(row.length for row in seq) for seq in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    # Every position sees itself, so padding never softmaxes over nothing (NaN).
    local = torch.eye(width, dtype=torch.bool).repeat(len(sequences), 1, 1)
    positions = torch.zeros((len(sequences), width), dtype=torch.long)
    picks: list[tuple[int, int, int]] = []
    owners: list[int] = []
    keys: list[tuple[int, int]] = []
    for b, seq in enumerate(sequences):
        offset = 0
        for row in seq:
            context = row.prefix[shared:]
            n = len(context)
            begin = offset
            ids[b, begin : begin + n] = torch.tensor(context)
            local[b, begin : begin + n, begin : begin + n] = torch.ones(
                n, n, dtype=torch.bool
            ).tril()
            positions[b, begin : begin + n] = torch.arange(shared, shared + n)
            offset += n
            for slot, branch in zip(row.slots, row.branches):
                inputs = branch[:-1]
                end = offset + len(inputs)
                ids[b, offset:end] = torch.tensor(inputs, dtype=torch.long)
                local[b, offset:end, begin : begin + n] = True
                local[b, offset:end, offset:end] = torch.ones(
                    end - offset, end - offset, dtype=torch.bool
                ).tril()
                positions[b, offset:end] = torch.arange(shared + n, shared + n + len(inputs))
                # Token j of a branch is predicted at the position of token j-1 of the same
                # branch (the last context token for j = 0).
                predictors = [begin + n - 1, *range(offset, end)]
                keys.append((row.request, slot))
                for where, token in zip(predictors, branch):
                    picks.append((b, where, token))
                    owners.append(len(keys) - 1)
                offset = end
    mask = torch.cat([torch.ones(len(sequences), width, shared, dtype=torch.bool), local], dim=2)
    pick = torch.tensor(picks, dtype=torch.long)
    return _Batch(
        ids,
        mask[:, None],
        positions,
        (pick[:, 0], pick[:, 1], pick[:, 2]),
        torch.tensor(owners),
        keys,
    )


def _cache_argument(module: torch.nn.Module) -> str:
    """The name `module.forward` takes the key/value cache under: transformers renamed
    `past_key_values` to `cache` (5.2x); older releases know only the former."""
    base = module.get_base_model() if hasattr(module, "get_base_model") else module
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"


def _prefix_cache(model: PreTrainedModel, ids: list[int], device) -> list[tuple[Tensor, Tensor]]:
    """Keys and values of every layer for the shared tokens, computed once (batch of one)."""
    parts = decoder_and_head(model)
    runner = parts[0] if parts else model
    out = runner(input_ids=torch.tensor([ids], device=device), use_cache=True)
    cache = out.get("cache") or out.get("past_key_values")
    return [(layer.keys, layer.values) for layer in cache.layers]


def _expanded(prefix: list[tuple[Tensor, Tensor]], batch: int) -> DynamicCache:
    return DynamicCache(
        ddp_cache_data=[
            (k.expand(batch, -1, -1, -1), v.expand(batch, -1, -1, -1)) for k, v in prefix
        ]
    )


def _token_logprobs(model: PreTrainedModel, batch: _Batch, cache, device) -> Tensor:
    """Log-probability of every picked token. The vocabulary projection runs on picked positions
    only: for a small model it is a large share of the work, and most positions are context."""
    inputs = {
        "input_ids": batch.ids.to(device),
        "attention_mask": batch.mask.to(device),
        "position_ids": batch.positions.to(device),
    }
    seq, where, token = (t.to(device) for t in batch.picks)
    parts = decoder_and_head(model)
    runner = parts[0] if parts else model
    if cache is not None:
        inputs[_cache_argument(runner)] = cache
    if parts is None:
        logits = model(**inputs).logits[seq, where]
    else:
        logits = parts[1](runner(**inputs).last_hidden_state[seq, where])
    logprobs = torch.log_softmax(logits.float(), dim=-1)
    return logprobs.gather(1, token[:, None]).squeeze(1)


def _split_off_plain(model: PreTrainedModel, rows: list[_Row]) -> tuple[list[_Row], list[_Row]]:
    """(rows to score one pass per choice, the others to pack). The block mask passed to the
    packed pass replaces the model's own, so a windowed model's window would be lost (and a
    shared cache cut to it) for rows longer than it; and no mask stops a convolution over time
    or a recurrence (architecture.carries_state), which would carry one choice into the next."""
    if carries_state(model):
        return rows, []
    window = attention_window(model.config)
    beyond = [
        window is not None and len(row.prefix) + max(map(len, row.branches)) - 1 > window
        for row in rows
    ]
    return [r for r, b in zip(rows, beyond) if b], [r for r, b in zip(rows, beyond) if not b]


def _plain_logprob(model: PreTrainedModel, context: list[int], branch: list[int], device) -> float:
    """One forward on context + branch with the model's own mask, as the harness runs it."""
    ids = torch.tensor([context + branch], device=device)
    logits = model(input_ids=ids).logits[0, len(context) - 1 : -1].float()
    picked = torch.log_softmax(logits, dim=-1).gather(1, ids[0, len(context) :, None])
    return picked.double().sum().item()


@torch.inference_mode()
def loglikelihoods(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    requests: list[Request],
    *,
    batch_size: int = 16,
    min_shared: int = 8,
    on_progress: Callable[[int, int], None] | None = None,
    on_scored: Callable[[int, int, float], None] | None = None,
) -> list[list[float]]:
    """Sum of log-probabilities of each continuation's tokens given its request's context.

    `batch_size`: packed sequences per forward pass. `min_shared`: the fewest leading tokens a
    group of requests must share for them to be computed once (0 turns the reuse off).
    `on_progress(done, total)`: told before the first forward pass and after each how many
    requests (questions) have every continuation scored.
    `on_scored(request, choice, total)`: told each sum as soon as it is made (to keep it).
    """
    model.eval()
    device = next(model.parameters()).device
    rows = _rows(requests, tokenizer, context_length(model, tokenizer))
    scores: list[list[float]] = [[0.0] * len(r.continuations) for r in requests]
    left = [len(r.continuations) for r in requests]
    answered = 0

    def keep(request: int, slot: int, total: float) -> None:
        nonlocal answered
        scores[request][slot] = total
        left[request] -= 1
        answered += not left[request]
        if on_scored is not None:
            on_scored(request, slot, total)

    def tell() -> None:
        if on_progress is not None:
            on_progress(answered, len(requests))

    tell()  # the bar shows before the first pass, which may be long (a 5-shot prefix)
    plain, rows = _split_off_plain(model, rows)
    for row in plain:
        for slot, branch in zip(row.slots, row.branches):
            keep(row.request, slot, _plain_logprob(model, row.prefix, branch, device))
        tell()
    groups = _share_prefixes(rows, min_shared) if min_shared else [([], rows)]
    groups = [(shared, members) for shared, members in groups if members]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    for shared_ids, members in groups:
        prefix = _prefix_cache(model, shared_ids, device) if shared_ids else None
        sequences = _pack(members)
        for start in range(0, len(sequences), batch_size):
            chunk = sequences[start : start + batch_size]
            batch = _batch_inputs(chunk, len(shared_ids), pad_id)
            cache = _expanded(prefix, len(chunk)) if prefix is not None else None
            logprobs = _token_logprobs(model, batch, cache, device)
            sums = torch.zeros(len(batch.keys), dtype=torch.float64)
            sums.index_add_(0, batch.owners, logprobs.double().cpu())
            for (request, slot), total in zip(batch.keys, sums.tolist()):
                keep(request, slot, total)
            tell()
    return scores
