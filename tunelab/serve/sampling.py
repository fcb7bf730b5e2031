"""How a request picks its next token: greedy, or sampled with temperature and top-p from its own
seeded generator, within its JSON schema when it has one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from tunelab.generation.next_token import GREEDY_BELOW, choose, penalize_repeats
from tunelab.generation.structured import Constraint

if TYPE_CHECKING:
    from tunelab.serve.request import Request


@dataclass
class Sampling:
    max_tokens: int = 16
    temperature: float = 1.0
    top_p: float = 1.0
    stop: list[str] = field(default_factory=list)
    seed: int | None = None
    constraint: Constraint | None = None  # a JSON schema the reply must follow (response_format)
    repetition_penalty: float = 1.0  # the checkpoint's unless the request gives one (as vLLM)
    # Record each sampled token's log-probability and this many likeliest tokens at its place, as
    # it is decoded (a streamed reply's logprobs); None records nothing.
    logprobs: int | None = None


def pick_tokens(requests: list[Request], logits: torch.Tensor) -> list[int]:
    """The next token of each request from its row of `logits` (rows, vocabulary)."""
    # Greedy rows without a schema or penalty (the common case) take one argmax for the batch,
    # over float32 logits as generate() (and model.generate) take it: a float64 model's near tie
    # must go the same way.
    tokens = logits.float().argmax(-1).tolist()
    for i, r in enumerate(requests):
        penalty = r.sampling.repetition_penalty
        if r.reply is not None or r.sampling.temperature >= GREEDY_BELOW or penalty != 1.0:
            row = logits[i].float()
            if penalty != 1.0:
                penalize_repeats(row, r.prompt_ids + r.generated, penalty)
            if r.reply is not None:  # closed within max_tokens, as a local reply is: it parses
                r.reply.mask(row, remaining=r.sampling.max_tokens - len(r.generated))
            tokens[i] = sample(row, r.sampling, r.rng)
    return tokens


def likeliest(
    logprobs: torch.Tensor, tokens: list[int], top: int
) -> list[tuple[float, dict[int, float]]]:
    """For each row of `logprobs` (rows, vocabulary: the model's own, before temperature, top-p,
    penalty or schema): the log-probability of that row's token in `tokens`, and the `top`
    likeliest tokens there with theirs, the token itself always among them."""
    targets = torch.tensor(tokens, device=logprobs.device)
    chosen = logprobs.gather(1, targets[:, None]).squeeze(1).tolist()
    tops: list[dict[int, float]] = [{} for _ in tokens]
    if top:
        best = logprobs.topk(top, dim=-1)
        tops = [dict(zip(i, v)) for i, v in zip(best.indices.tolist(), best.values.tolist())]
    return [(value, {**t, token: value}) for token, value, t in zip(tokens, chosen, tops)]


def sample(logits: torch.Tensor, s: Sampling, rng: torch.Generator | None) -> int:
    """One row's next token, as generate() picks it, from the request's own generator."""
    return int(choose(logits[None], s.temperature, s.top_p, rng)[0])
