"""Log-probabilities on /v1/completions as OpenAI's legacy API defines them (`logprobs`, `echo`,
`max_tokens: 0`), which lm-evaluation-harness's `local-completions` model and other harnesses
read to score a served model: each token of the prompt (with `echo`) and of the completion, its
log-probability under the model, and the `logprobs` likeliest tokens at its place (the chosen one
always among them). One teacher-forced forward pass scores a choice's tokens; a prompt's first
token has no context and gets null, as OpenAI's does."""

from __future__ import annotations

import time
import uuid
from typing import Any

import torch
from fastapi import Request as HttpRequest
from starlette.concurrency import run_in_threadpool

from tunelab.architecture import decoder_and_head
from tunelab.serve.engine import Engine, Request
from tunelab.serve.responses import ApiError, respond
from tunelab.serve.sampling import Sampling

MAX_LOGPROBS = 20  # the likeliest tokens a client may ask for at each place (vLLM's limit too)
CHUNK = 256  # positions projected onto the vocabulary at once: never a [tokens, vocab] tensor


async def complete_with_logprobs(
    http: HttpRequest,
    engine: Engine,
    body: Any,
    prompts: list[list[int]],
    sampling: Sampling | None,
) -> dict:
    """A /v1/completions answer with logprobs and/or the prompt echoed; sampling None is
    `max_tokens: 0` (score the prompt, generate nothing)."""
    if body.stream:
        raise ApiError(
            400, "logprobs and echo come in one answer: leave stream off", param="stream"
        )
    if sampling is None and not body.echo:
        raise ApiError(400, "max_tokens 0 generates nothing: add echo to score the prompt")
    texts = _prompt_texts(engine, body.prompt, prompts)
    jobs = [(i * body.n + j, ids) for i, ids in enumerate(prompts) for j in range(body.n)]
    generated: list[Request] = []
    if sampling is not None:
        answer = await respond(http, engine, body, jobs, sampling, chat=False, submitted=generated)
    else:
        answer = _nothing_generated(engine, body, jobs)
    for (index, ids), choice in zip(jobs, answer["choices"]):
        prompt_text = texts[index // body.n]
        completion = _tokens_of(engine, generated[index], choice["text"]) if generated else []
        if body.logprobs is not None:
            scored = await run_in_threadpool(score, engine, ids + completion, body.logprobs)
            first = 0 if body.echo else len(ids)
            offset = 0 if body.echo else len(prompt_text)
            choice["logprobs"] = _logprobs(
                engine, (ids + completion)[first:], scored[first:], offset
            )
        if body.echo:
            choice["text"] = prompt_text + choice["text"]
    return answer


def _tokens_of(engine: Engine, request: Request, text: str) -> list[int]:
    """The generated tokens that make `text`: all of them, or those up to a stop string that cut
    the text short (the one reaching past the cut included)."""
    ids = request.generated
    for count in range(len(ids) + 1):
        if len(engine.tokenizer.decode(ids[:count], skip_special_tokens=True)) >= len(text):
            return ids[:count]
    return ids


def _nothing_generated(engine: Engine, body: Any, jobs: list[tuple[int, list[int]]]) -> dict:
    """The answer to `max_tokens: 0`: each choice empty, to be filled with its echoed prompt."""
    for _, ids in jobs:
        if len(ids) > engine.context_length:
            raise ApiError(
                400,
                f"the prompt is {len(ids)} tokens, but model {engine.name!r} has a context of "
                f"{engine.context_length} tokens",
                "context_length_exceeded",
                "prompt",
            )
    prompt_tokens = sum(len(ids) for i, ids in jobs if i % body.n == 0)
    return {
        "id": f"cmpl-{uuid.uuid4().hex[:24]}",
        "object": "text_completion",
        "created": int(time.time()),
        "model": body.model,
        "choices": [
            {"index": i, "text": "", "logprobs": None, "finish_reason": "length"} for i, _ in jobs
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": 0,
            "total_tokens": prompt_tokens,
        },
    }


@torch.inference_mode()
def score(engine: Engine, ids: list[int], top: int) -> list[tuple[float | None, dict[int, float]]]:
    """For each token of `ids`: its log-probability given the tokens before it (None for the
    first) and the `top` likeliest tokens there with theirs, the token itself always included."""
    model = engine.model
    inputs = torch.tensor([ids], device=engine.device)
    parts = decoder_and_head(model)
    hidden = parts[0](input_ids=inputs).last_hidden_state[0] if parts else None
    logits_all = None if parts else model(input_ids=inputs).logits[0]
    out: list[tuple[float | None, dict[int, float]]] = [(None, {})]
    for start in range(0, len(ids) - 1, CHUNK):
        end = min(start + CHUNK, len(ids) - 1)
        logits = parts[1](hidden[start:end]) if parts else logits_all[start:end]
        logprobs = torch.log_softmax(logits.float(), dim=-1)
        targets = torch.tensor(ids[start + 1 : end + 1], device=logprobs.device)
        chosen = logprobs.gather(1, targets[:, None]).squeeze(1).tolist()
        best = logprobs.topk(top, dim=-1) if top else None
        for row, (token, value) in enumerate(zip(targets.tolist(), chosen)):
            likeliest = (
                dict(zip(best.indices[row].tolist(), best.values[row].tolist())) if best else {}
            )
            out.append((value, {**likeliest, token: value}))
    return out


def _logprobs(
    engine: Engine, ids: list[int], scored: list[tuple[float | None, dict[int, float]]], offset: int
) -> dict:
    """OpenAI's legacy logprobs object: tokens as text, their log-probabilities, the likeliest
    tokens at each place, and where each token starts in the choice's text."""
    decode = engine.tokenizer.decode
    tokens = [decode([i]) for i in ids]
    offsets = []
    for token in tokens:
        offsets.append(offset)
        offset += len(token)
    return {
        "tokens": tokens,
        "token_logprobs": [value for value, _ in scored],
        "top_logprobs": [
            {decode([i]): v for i, v in top.items()} if value is not None else None
            for value, top in scored
        ],
        "text_offset": offsets,
    }


def _prompt_texts(engine: Engine, prompt: str | list, ids: list[list[int]]) -> list[str]:
    """Each prompt as text, for echo: the client's own string, or its token ids decoded."""
    given = [prompt] if isinstance(prompt, str) or isinstance(prompt[0], int) else prompt
    return [p if isinstance(p, str) else engine.tokenizer.decode(i) for p, i in zip(given, ids)]
