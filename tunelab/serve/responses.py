"""Turning engine events into OpenAI response shapes: one JSON body, or server-sent events."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

from fastapi import Request as HttpRequest
from fastapi.responses import StreamingResponse

from tunelab.generation.reply_text import template_gap
from tunelab.serve.api_errors import ApiError
from tunelab.serve.call_format import CallFormat, answer
from tunelab.serve.engine import Engine
from tunelab.serve.request import Event, Request
from tunelab.serve.sampling import Sampling
from tunelab.web import openai_error

# A streamed chunk's logprobs, from its choice's request, index and event (serve.logprobs).
ChunkLogprobs = Callable[[Request, int, Event], dict]
# How often a non-streamed request looks whether its client is still there.
DISCONNECT_CHECK_S = 0.25


def choice_jobs(body: Any, prompts: list[list[int]]) -> list[tuple[int, list[int]]]:
    """The `body.n` choices of each prompt as `respond` takes them: the choice's index in the
    answer (a prompt's choices together, as OpenAI numbers them) and the prompt's token ids."""
    return [(i * body.n + j, ids) for i, ids in enumerate(prompts) for j in range(body.n)]


async def respond(
    http: HttpRequest,
    engine: Engine,
    body: Any,
    jobs: list[tuple[int, list[int]]],
    sampling: Sampling,
    chat: bool,
    submitted: list[Request] | None = None,
    calls: CallFormat | None = None,
    chunk_logprobs: ChunkLogprobs | None = None,
):
    """Submit every choice to the engine, then answer as one JSON body or as an SSE stream;
    `submitted` (if given) receives the engine requests, whose token ids logprobs score; a chat
    reply is read for tool calls in the format `calls` (if given); a streamed chunk carries the
    logprobs `chunk_logprobs` gives it (if given)."""
    events, requests = submit(engine, jobs, sampling, chat)
    if submitted is not None:
        submitted.extend(requests)
    prompt_tokens = sum(len(ids) for index, ids in jobs if index % body.n == 0)  # once per prompt
    meta = {
        "id": f"{'chatcmpl' if chat else 'cmpl'}-{uuid.uuid4().hex[:24]}",
        "created": int(time.time()),
        "model": body.model,
    }
    if body.stream:
        usage = body.stream_options is not None and body.stream_options.include_usage
        return StreamingResponse(
            _stream(events, requests, meta, chat, usage, prompt_tokens, calls, chunk_logprobs),
            media_type="text/event-stream",
        )
    try:
        texts, finishes, usage = await collect(http, events, len(requests), prompt_tokens)
    finally:
        for r in requests:
            r.cancel()
    if chat:
        answers = [
            answer(texts[i], finishes[i], calls, cut_by(requests[i], finishes[i]))
            for i in range(len(texts))
        ]
        choices = [
            {"index": i, "message": message, "logprobs": None, "finish_reason": finish}
            for i, (message, finish) in enumerate(answers)
        ]
        return {**meta, "object": "chat.completion", "choices": choices, "usage": usage}
    choices = [
        {"index": i, "text": texts[i], "logprobs": None, "finish_reason": finishes[i]}
        for i in range(len(texts))
    ]
    return {**meta, "object": "text_completion", "choices": choices, "usage": usage}


def submit(
    engine: Engine, jobs: list[tuple[int, list[int]]], sampling: Sampling, chat: bool
) -> tuple[asyncio.Queue, list[Request]]:
    """Hand each job (its index, its prompt's ids) to the engine, each with its own seed; the queue
    receives (index, event) as the engine makes them. A chat reply starts after its template's gap
    (`trimmed`)."""
    loop, events = asyncio.get_running_loop(), asyncio.Queue()
    requests = []
    for index, ids in jobs:
        # Each choice its own seed; torch takes seeds in [0, 2**64), clients send any integer.
        seed = None if sampling.seed is None else (sampling.seed + index) % 2**64
        own = Sampling(**{**sampling.__dict__, "seed": seed})

        def emit(event: Event, index: int = index) -> None:
            loop.call_soon_threadsafe(events.put_nowait, (index, event))

        request = Request(ids, own, trimmed(emit) if chat else emit, continues_prompt=not chat)
        requests.append(request)
    for r in requests:
        engine.submit(r)
    return events, requests


def cut_by(request: Request, finish: str | None) -> str | None:
    """What cut a finished reply short: "max_tokens" (its limit, or the room the context left),
    "a stop string", or None where the model ended it."""
    if finish == "length":
        return "max_tokens"
    ended_itself = request.text is None or request.text.eos_token is not None
    return (
        "a stop string" if finish == "stop" and request.sampling.stop and not ended_itself else None
    )


def trimmed(emit: Callable[[Event], None]) -> Callable[[Event], None]:
    """`emit` for a chat reply: the reply starts after the gap its template left before it, as
    `chat` and `generate` give it (a qa run's prompt ends in "### Answer:", so its first token is
    " Yes"); a code answer keeps its first line's indentation (reply_text.template_gap). Held
    back until its first character comes, which settles what the gap was. A completion keeps its
    leading space: it continues the prompt's text."""
    started, held = False, ""

    def emit_trimmed(event: Event) -> None:
        nonlocal started, held
        if not started:
            held += event.text
            gap = template_gap(held)
            if gap == len(held) and not event.finish_reason:
                return
            event, started = replace(event, text=held[gap:]), True
        emit(event)

    return emit_trimmed


async def collect(http: HttpRequest, events: asyncio.Queue, n: int, prompt_tokens: int):
    """The `n` replies' texts and finish reasons and their usage, once every one has ended; the
    client gone meanwhile is a 499 (the caller cancels the requests)."""
    texts, finishes = [""] * n, [None] * n
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": 0, "total_tokens": prompt_tokens}
    loop = asyncio.get_running_loop()
    check_at = loop.time()
    while None in finishes:
        if loop.time() >= check_at:
            check_at = loop.time() + DISCONNECT_CHECK_S
            if await http.is_disconnected():  # nobody is waiting for the answer: free the slots
                raise ApiError(499, "client disconnected")
        try:
            index, event = await asyncio.wait_for(events.get(), timeout=DISCONNECT_CHECK_S)
        except TimeoutError:
            continue
        _raise_if_failed(event)
        texts[index] += event.text
        if event.finish_reason:
            finishes[index] = event.finish_reason
            _count(usage, event)
    return texts, finishes, usage


async def _stream(
    events,
    requests,
    meta,
    chat: bool,
    include_usage: bool,
    prompt_tokens: int,
    calls: CallFormat | None = None,
    chunk_logprobs: ChunkLogprobs | None = None,
) -> AsyncIterator[str]:
    """SSE chunks as OpenAI sends them; leaving early (client gone) cancels every request. A
    reply read for tool calls comes whole, in one chunk: a call is known only once complete.
    With `chunk_logprobs`, each chunk's choice carries the logprobs of its tokens."""
    kind = "chat.completion.chunk" if chat else "text_completion"
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": 0, "total_tokens": prompt_tokens}
    open_ = set(range(len(requests)))
    try:
        if chat:
            for i in open_:
                yield _sse(
                    {
                        **meta,
                        "object": kind,
                        "choices": [
                            {
                                "index": i,
                                "delta": {"role": "assistant", "content": ""},
                                "finish_reason": None,
                            }
                        ],
                    }
                )
        held = [""] * len(requests)  # the replies read for calls, so far
        while open_:
            index, event = await events.get()
            if event.finish_reason == "error":  # shaped as a non-streamed request's error
                yield _sse(openai_error(event.text, "generation_failed", kind="server_error"))
                return
            if calls is not None:
                held[index] += event.text
                if not event.finish_reason:
                    continue
                finish = event.finish_reason
                cut = cut_by(requests[index], finish)
                message, finish = answer(held[index], finish, calls, cut)
                chunks = _whole_reply(index, message, finish)
                if chunk_logprobs is not None:  # all the reply's tokens, with its first chunk
                    chunks[0]["logprobs"] = chunk_logprobs(requests[index], index, event)
                for chunk in chunks:
                    yield _sse({**meta, "object": kind, "choices": [chunk]})
                open_.discard(index)
                _count(usage, event)
                continue
            choice: dict[str, Any] = {"index": index, "finish_reason": event.finish_reason}
            choice.update(
                {"delta": {"content": event.text} if event.text else {}}
                if chat
                else {"text": event.text, "logprobs": None}
            )
            if chunk_logprobs is not None:
                choice["logprobs"] = chunk_logprobs(requests[index], index, event)
            yield _sse({**meta, "object": kind, "choices": [choice]})
            if event.finish_reason:
                open_.discard(index)
                _count(usage, event)
        if include_usage:
            yield _sse({**meta, "object": kind, "choices": [], "usage": usage})
        yield "data: [DONE]\n\n"
    finally:
        for r in requests:
            r.cancel()


def _whole_reply(index: int, message: dict, finish: str | None) -> list[dict]:
    """A reply's chunks when it comes whole: its text and calls (each with its place among
    them, as OpenAI's deltas number them), then its finish reason."""
    delta: dict[str, Any] = {"content": message["content"]} if message["content"] else {}
    if "tool_calls" in message:
        delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(message["tool_calls"])]
    said = [{"index": index, "delta": delta, "finish_reason": None}] if delta else []
    return [*said, {"index": index, "delta": {}, "finish_reason": finish}]


def _count(usage: dict, event: Event) -> None:
    usage["completion_tokens"] += event.completion_tokens
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]


def _raise_if_failed(event: Event) -> None:
    if event.finish_reason == "error":
        raise ApiError(500, event.text, "generation_failed")


def _sse(payload: dict) -> str:
    return f"data: {json.dumps(payload)}\n\n"
