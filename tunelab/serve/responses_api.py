"""OpenAI's Responses API as `tunelab serve` answers it, the request read as a chat's
(serve.bodies) and prepared as one (serve.server): the reply as a response object, or streamed as
the API's typed server-sent events, response.created to response.completed (response.incomplete
where max_output_tokens cut it)."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request as HttpRequest
from fastapi.responses import StreamingResponse

from tunelab.serve.bodies import ResponsesBody
from tunelab.serve.engine import Engine
from tunelab.serve.request import Request
from tunelab.serve.responses import collect, submit
from tunelab.serve.sampling import Sampling

TEXT = {"type": "text"}  # the format a request that names none is answered in


async def answer_response(
    http: HttpRequest, engine: Engine, asked: ResponsesBody, prompt: list[int], sampling: Sampling
) -> dict | StreamingResponse:
    """The reply to `asked`, whose prompt's ids are `prompt`: a response object, or its events."""
    events, requests = submit(engine, [(0, prompt)], sampling, chat=True)
    shell, item = _shell(asked), f"msg_{uuid.uuid4().hex}"
    if asked.stream:
        stream = _events(events, requests[0], shell, item, len(prompt))
        return StreamingResponse(stream, media_type="text/event-stream")
    try:
        texts, finishes, usage = await collect(http, events, 1, len(prompt))
    finally:
        requests[0].cancel()
    return _ended(shell, item, texts[0], finishes[0], len(prompt), usage["completion_tokens"])


async def _events(
    events, request: Request, shell: dict, item: str, prompt_tokens: int
) -> AsyncIterator[str]:
    """The events OpenAI streams for a reply of one message, in its order, numbered; a failure
    ends them with response.failed. Leaving early (client gone) cancels the request."""
    numbers = itertools.count()

    def sse(kind: str, **fields: Any) -> str:
        data = {"type": kind, "sequence_number": next(numbers), **fields}
        return f"event: {kind}\ndata: {json.dumps(data)}\n\n"

    place = {"item_id": item, "output_index": 0, "content_index": 0}
    try:
        yield sse("response.created", response=shell)
        yield sse("response.in_progress", response=shell)
        yield sse("response.output_item.added", output_index=0, item=_message(item, "in_progress"))
        yield sse("response.content_part.added", **place, part=_text(""))
        text, generated = "", 0
        while True:
            _, event = await events.get()
            if event.finish_reason == "error":
                error = {"code": "server_error", "message": event.text}
                yield sse("response.failed", response={**shell, "status": "failed", "error": error})
                return
            if event.text:
                text += event.text
                yield sse("response.output_text.delta", **place, delta=event.text, logprobs=[])
            generated += event.completion_tokens
            if event.finish_reason:
                break
        yield sse("response.output_text.done", **place, text=text, logprobs=[])
        yield sse("response.content_part.done", **place, part=_text(text))
        ended = _ended(shell, item, text, event.finish_reason, prompt_tokens, generated)
        yield sse("response.output_item.done", output_index=0, item=ended["output"][0])
        yield sse(f"response.{ended['status']}", response=ended)
    finally:
        request.cancel()


def _shell(asked: ResponsesBody) -> dict[str, Any]:
    """The response object before its reply: what was asked, as OpenAI echoes it back."""
    form = asked.text.format if asked.text else None
    return {
        "id": f"resp_{uuid.uuid4().hex}",
        "object": "response",
        "created_at": int(time.time()),
        "status": "in_progress",
        "model": asked.model,
        "instructions": asked.instructions,
        "max_output_tokens": asked.max_output_tokens,
        "temperature": asked.temperature,
        "top_p": asked.top_p,
        "text": {"format": form.model_dump(by_alias=True, exclude_unset=True) if form else TEXT},
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "previous_response_id": None,
        "store": False,
        "metadata": {},
        "error": None,
        "incomplete_details": None,
        "output": [],
        "usage": None,
    }


def _ended(
    shell: dict, item: str, text: str, finish: str | None, prompt_tokens: int, generated: int
) -> dict[str, Any]:
    """The response object once its reply has ended: completed, or incomplete where its limit
    (max_output_tokens, or the room the context left) cut it."""
    cut = finish == "length"
    status = "incomplete" if cut else "completed"
    return {
        **shell,
        "status": status,
        "completed_at": None if cut else int(time.time()),
        "incomplete_details": {"reason": "max_output_tokens"} if cut else None,
        "output": [_message(item, status, text)],
        "usage": {
            "input_tokens": prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},  # no cache
            "output_tokens": generated,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt_tokens + generated,
        },
    }


def _message(item: str, status: str, text: str | None = None) -> dict[str, Any]:
    """The reply's output item: an assistant message holding its text (none yet while None)."""
    content = [] if text is None else [_text(text)]
    return {
        "id": item,
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": content,
    }


def _text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
