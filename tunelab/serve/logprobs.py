"""Log-probabilities on /v1/completions as OpenAI's legacy API defines them (`logprobs`, `echo`,
`max_tokens: 0`), which lm-evaluation-harness's `local-completions` model and other harnesses
read to score a served model: each token of the prompt (with `echo`) and of the completion, its
log-probability under the model, and the `logprobs` likeliest tokens at its place (the chosen one
always among them). One teacher-forced forward pass scores a choice's tokens; a prompt's first
token has no context and gets null, as OpenAI's does.

On /v1/chat/completions (`logprobs: true`, `top_logprobs`), as OpenAI's chat API gives them:
the reply's tokens only, each with its bytes and exactly the `top_logprobs` likeliest there.

Streamed (either endpoint, `stream: true`), each chunk carries the logprobs of its choice's
tokens since the last: the engine records them as it decodes (Sampling.logprobs), from the same
distribution the scoring pass reads, so they join to the unstreamed answer's."""

from __future__ import annotations

import codecs
import functools
import re
import time
import uuid
from typing import Any

import torch
from fastapi import Request as HttpRequest
from starlette.concurrency import run_in_threadpool

from tunelab.generation.reply_text import decode_after
from tunelab.models.architecture import decoder_and_head
from tunelab.serve.api_errors import ApiError
from tunelab.serve.call_format import CallFormat
from tunelab.serve.engine import Engine
from tunelab.serve.request import Event, Request
from tunelab.serve.responses import choice_jobs, respond
from tunelab.serve.sampling import Sampling, likeliest

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
    if sampling is None and not body.echo:
        raise ApiError(
            400, "max_tokens 0 generates nothing: add echo to score the prompt", param="max_tokens"
        )
    if body.stream and body.echo:  # the prompt's tokens are scored after the whole reply
        raise ApiError(400, "echo comes in one answer: leave stream off", param="stream")
    texts = _prompt_texts(engine, body.prompt)
    jobs = choice_jobs(body, prompts)
    if body.stream:
        sampling.logprobs = body.logprobs
        streamed = StreamedLogprobs(engine, body.logprobs, texts, body.n)
        return await respond(http, engine, body, jobs, sampling, False, chunk_logprobs=streamed)
    generated: list[Request] = []
    if sampling is not None:
        answer = await respond(http, engine, body, jobs, sampling, chat=False, submitted=generated)
    else:
        answer = _nothing_generated(engine, body, jobs)
    for (index, ids), choice in zip(jobs, answer["choices"]):
        prompt_text = texts[index // body.n]
        completion = _tokens_of(engine, generated[index], choice["text"]) if generated else []
        if body.echo:
            choice["text"] = prompt_text + choice["text"]
        if body.logprobs is not None:
            scored = await run_in_threadpool(score, engine, ids + completion, body.logprobs)
            first = 0 if body.echo else len(ids)
            offset = 0 if body.echo else len(prompt_text)
            choice["logprobs"] = _logprobs(
                engine, ids + completion, scored, choice["text"], first, offset
            )
    return answer


async def chat_with_logprobs(
    http: HttpRequest,
    engine: Engine,
    body: Any,
    prompt: list[int],
    sampling: Sampling,
    calls: CallFormat | None = None,
) -> dict:
    """A /v1/chat/completions answer whose choices carry the logprobs of their replies' tokens
    (a reply's calls' too: `calls`, the format they are read in)."""
    jobs = choice_jobs(body, [prompt])
    top = body.top_logprobs or 0
    if body.stream:
        sampling.logprobs = top
        streamed = StreamedLogprobs(engine, top)
        return await respond(
            http, engine, body, jobs, sampling, True, calls=calls, chunk_logprobs=streamed
        )
    generated: list[Request] = []
    answer = await respond(
        http, engine, body, jobs, sampling, chat=True, submitted=generated, calls=calls
    )
    for request, choice in zip(generated, answer["choices"]):
        # The reply's whole text: the choice's lacks the gap its template left before it.
        reply = _tokens_of(engine, request, request.text.text)
        scored = await run_in_threadpool(score, engine, prompt + reply, top)
        choice["logprobs"] = _chat_logprobs(engine.tokenizer, reply, scored[len(prompt) :], top)
    return answer


class StreamedLogprobs:
    """A streamed chunk's logprobs: those the engine recorded as it decoded (Sampling.logprobs,
    the model's own distribution, as `score` gives them) for the tokens its choice sampled since
    its last chunk, and at its end those up to where the reply ends, as an unstreamed answer
    lists them (`_tokens_of`). A completion's (`prompts`: each prompt's text, which its
    `text_offset` counts from) in the legacy shape, else a chat's."""

    def __init__(self, engine: Engine, top: int, prompts: list[str] | None = None, n: int = 1):
        self.engine, self.top, self.prompts, self.n = engine, top, prompts, n
        self.given: dict[int, int] = {}  # each choice's tokens given so far
        self.spelled: dict[int, int] = {}  # characters of each completion's text so far

    def __call__(self, request: Request, index: int, event: Event) -> dict:
        reply = request.text
        end = event.completion_tokens
        if event.finish_reason:
            end = len(_tokens_of(self.engine, request, reply.text))
        start = self.given.get(index, 0)
        self.given[index] = max(start, end)
        ids, scored = reply.sampled[start:end], request.scored[start:end]
        if self.prompts is None:
            return _chat_logprobs(self.engine.tokenizer, ids, scored, self.top)
        at = self.spelled.get(index, 0)
        self.spelled[index] = at + len(event.text)
        offset = len(self.prompts[index // self.n]) + at
        return _logprobs(self.engine, ids, scored, event.text, 0, offset)


def _chat_logprobs(
    tokenizer, reply: list[int], scored: list[tuple[float, dict[int, float]]], top: int
) -> dict:
    """OpenAI's chat logprobs object for the reply's tokens: each with its text, bytes and
    log-probability, and the `top` likeliest tokens there (the chosen one only if among them)."""
    special = set(tokenizer.all_special_ids)

    def entry(token: int, logprob: float) -> dict:
        # Bytes, as OpenAI gives them: a token holding part of a character joins with the next.
        if token in special:
            raw = tokenizer.convert_ids_to_tokens(token).encode()
        else:
            raw = _token_bytes(tokenizer, token)
        return {"token": _as_text(raw), "logprob": logprob, "bytes": list(raw)}

    content = [
        {**entry(token, value), "top_logprobs": [entry(*t) for t in list(likeliest.items())[:top]]}
        for token, (value, likeliest) in zip(reply, scored)
    ]
    return {"content": content, "refusal": None}


def _tokens_of(engine: Engine, request: Request, text: str) -> list[int]:
    """The generated tokens that make `text`: all of them, the EOS that ended the reply included
    (as vLLM lists it, and usage counts it), or those up to a stop string that cut the text
    short (the one reaching past the cut included)."""
    if request.text.eos_token is not None:  # an EOS ended it: no stop string cut it short
        return request.text.sampled
    ids, context = request.generated, request.text.context
    for count in range(len(ids) + 1):
        if len(decode_after(engine.tokenizer, context, ids[:count])) >= len(text):
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
        out += likeliest(logprobs, ids[start + 1 : end + 1], top)
    return out


def _logprobs(
    engine: Engine,
    ids: list[int],
    scored: list[tuple[float | None, dict[int, float]]],
    text: str,
    first: int = 0,
    offset: int = 0,
) -> dict:
    """OpenAI's legacy logprobs object for `ids[first:]` (those before are their context), which
    spell `text`, starting `offset` characters into the choice's text: tokens as text, their
    log-probabilities, the likeliest tokens at each place, and where each token starts.

    A token's text is its bytes (a sentencepiece "▁is" is " is", which alone decodes to "is");
    one holding part of a character ("日" is 3 bytes, often 2 tokens) is "bytes:\\xe6..", as
    OpenAI writes it, and starts where its character does. Offsets follow `text` itself: a space
    it lacks (sentencepiece's first, or one that decoding cleans up before ".") adds nothing,
    and a special token adds its own text where `text` holds it (a prompt the client wrote
    with "<|im_start|>") and nothing elsewhere (a reply's text skips them)."""
    tokenizer = engine.tokenizer
    special = set(tokenizer.all_special_ids)
    reader = codecs.getincrementaldecoder("utf-8")(errors="replace")
    tokens, offsets, top_texts = [], [], []
    at = 0  # characters of `text` spelled so far
    for i in range(first, len(ids)):
        whole_characters = not reader.getstate()[0]
        if ids[i] in special:
            name = tokenizer.convert_ids_to_tokens(ids[i])
            raw = name.encode() if whole_characters and text.startswith(name, at) else b""
        else:
            raw = _token_bytes(tokenizer, ids[i])
            if raw.startswith(b" ") and whole_characters and not text.startswith(" ", at):
                raw = raw[1:]
        # After a character's first bytes, a token that does not go on with it starts past the
        # U+FFFD they become (a sampled "\xdd" then "7" read "\ufffd7").
        offsets.append(offset + at + (not whole_characters and _breaks(reader, raw)))
        at += len(reader.decode(raw))
        tokens.append(name if ids[i] in special else _as_text(raw))
        top = scored[i][1] if scored[i][0] is not None else None
        top_texts.append(
            {_top_text(tokenizer, t, special): v for t, v in top.items()} if top else None
        )
    return {
        "tokens": tokens,
        "token_logprobs": [value for value, _ in scored[first:]],
        "top_logprobs": top_texts,
        "text_offset": offsets,
    }


def _breaks(reader: codecs.IncrementalDecoder, raw: bytes) -> bool:
    """Whether `raw` cannot go on with the character whose first bytes `reader` holds."""
    strict = codecs.getincrementaldecoder("utf-8")()
    strict.setstate(reader.getstate())
    try:
        strict.decode(raw[:1])
    except UnicodeDecodeError:
        return True
    return False


def _top_text(tokenizer, token: int, special: set[int]) -> str:
    """A likely token's text, as its own bytes ("▁is" and "is" are two keys, " is" and "is")."""
    if token in special:
        return tokenizer.convert_ids_to_tokens(token)
    return _as_text(_token_bytes(tokenizer, token))


def _as_text(raw: bytes) -> str:
    """Bytes as text, or as "bytes:\\x.." where they are not whole characters."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return "bytes:" + "".join(f"\\x{b:02x}" for b in raw)


def _token_bytes(tokenizer, token: int) -> bytes:
    """The bytes a (not special) token stands for: byte-level BPE writes each byte as a printable
    character (GPT-2's table), sentencepiece a space as "▁" and a byte it has no piece for as
    "<0xE6>"; another kind of tokenizer's token decoded alone."""
    piece = tokenizer.convert_ids_to_tokens(token) or ""
    if raw := _BYTE_FALLBACK.fullmatch(piece):
        return bytes([int(raw[1], 16)])
    if _byte_level(tokenizer) and all(ch in _UNICODE_BYTES for ch in piece):
        return bytes(_UNICODE_BYTES[ch] for ch in piece)
    if "▁" in piece or not _byte_level(tokenizer):
        return piece.replace("▁", " ").encode()
    return tokenizer.decode([token]).encode()


@functools.cache
def _byte_level(tokenizer) -> bool:
    """Whether the tokenizer's pieces are bytes in GPT-2's printable table (Llama 3, Qwen,
    SmolLM), not text (Llama 2, Mistral, Gemma)."""
    if hasattr(tokenizer, "byte_decoder"):  # a slow GPT-2-style tokenizer
        return True
    backend = getattr(tokenizer, "backend_tokenizer", None)
    decoder = backend.decoder if backend is not None else None
    return decoder is not None and "ByteLevel" in decoder.__getstate__().decode()


def _byte_table() -> dict[str, int]:
    """Byte-level BPE's printable character for each byte, read backwards: the printable
    Latin-1 bytes stand for themselves, the other 68 for characters from U+0100 on, in order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    others = [b for b in range(256) if b not in printable]
    table = {chr(b): b for b in printable}
    table.update({chr(256 + n): b for n, b in enumerate(others)})
    return table


_BYTE_FALLBACK = re.compile(r"<0x([0-9A-Fa-f]{2})>")
_UNICODE_BYTES = _byte_table()


def _prompt_texts(engine: Engine, prompt: str | list) -> list[str]:
    """Each prompt as text, for echo: the client's own string, or its own token ids decoded (an
    empty one echoes nothing, as "" does, not the start token the model is given for it)."""
    given = [prompt] if isinstance(prompt, str) or isinstance(prompt[0], int) else prompt
    return [p if isinstance(p, str) else engine.tokenizer.decode(p) for p in given]
