"""An OpenAI-compatible HTTP server over the batching engine: chat and text completions (streamed
as server-sent events or not), the model list, and a health check."""

from __future__ import annotations

import hmac
import logging
from typing import Any, Literal

from fastapi import Depends, FastAPI
from fastapi import Request as HttpRequest
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from jinja2 import TemplateError
from pydantic import BaseModel, ConfigDict, Field

from tunelab.serve.engine import Engine, Sampling
from tunelab.serve.responses import ApiError, respond

log = logging.getLogger(__name__)
# OpenAI's "up to the context" default would let a small model ramble for minutes.
CHAT_DEFAULT_MAX_TOKENS = 512
COMPLETION_DEFAULT_MAX_TOKENS = 16  # OpenAI's documented default for /v1/completions


class _Body(BaseModel):
    # Fields of the OpenAI API that only tune or label a request (user, penalties, ...) are
    # ignored; those whose answer tunelab cannot give (logprobs, echo, ...) are refused below.
    model_config = ConfigDict(extra="ignore")
    model: str
    max_tokens: int | None = Field(None, ge=1)
    temperature: float = Field(1.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    n: int = Field(1, ge=1, le=16)
    stop: str | list[str] | None = None
    seed: int | None = None
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    logprobs: bool | int | None = None
    top_logprobs: int | None = None
    echo: bool = False
    best_of: int | None = None
    suffix: str | None = None

    def refuse_unsupported(self) -> None:
        """A 400 for asked-for output tunelab does not produce, rather than a quiet answer
        without it (an eval harness reading logprobs would score garbage)."""
        asked = {
            "logprobs": self.logprobs is not None and self.logprobs is not False,
            "top_logprobs": bool(self.top_logprobs),
            "echo": self.echo,
            "best_of": self.best_of not in (None, 1),
            "suffix": bool(self.suffix),
        }
        for param, given in asked.items():
            if given:
                raise ApiError(400, f"{param} is not supported by tunelab serve", param=param)


class Message(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = ""


class ChatBody(_Body):
    messages: list[Message] = Field(min_length=1)
    max_completion_tokens: int | None = Field(None, ge=1)


class CompletionBody(_Body):
    prompt: str | list[str] | list[int] | list[list[int]]  # text, or token ids


def create_app(engines: dict[str, Engine], api_key: str | None = None) -> FastAPI:
    """The app serving `engines` by model id; with `api_key`, /v1 requires `Authorization: Bearer`."""
    app = FastAPI(title="tunelab", docs_url=None, redoc_url=None)

    async def authorize(request: HttpRequest) -> None:
        if api_key is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        # compare_digest: the time taken must not reveal how much of the key a guess got right.
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), api_key.encode()):
            raise ApiError(
                401, "missing or wrong API key (Authorization: Bearer ...)", "invalid_api_key"
            )

    def engine_for(model: str) -> Engine:
        if model not in engines:
            raise ApiError(
                404,
                f"model {model!r} is not served here; ids: {sorted(engines)}",
                "model_not_found",
                "model",
            )
        return engines[model]

    @app.exception_handler(ApiError)
    async def _api_error(_, err: ApiError) -> JSONResponse:
        kind = "server_error" if err.status >= 500 else "invalid_request_error"
        return _error(err.status, err.message, err.code, err.param, kind)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0]
        param = ".".join(str(p) for p in first["loc"] if p != "body")
        return _error(400, f"{param or 'body'}: {first['msg']}", "invalid_request", param or None)

    @app.exception_handler(Exception)
    async def _crash(_, err: Exception) -> JSONResponse:
        log.exception("request failed")  # the traceback goes to the server log, never to the client
        return _error(500, f"internal error ({type(err).__name__})", None, None, "server_error")

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "models": {name: e.load() for name, e in engines.items()}}

    @app.get("/v1/models", dependencies=[Depends(authorize)])
    async def models() -> dict:
        return {
            "object": "list",
            "data": [
                {"id": name, "object": "model", "created": 0, "owned_by": "tunelab"}
                for name in engines
            ],
        }

    @app.post("/v1/chat/completions", dependencies=[Depends(authorize)])
    async def chat(body: ChatBody, http: HttpRequest):
        engine = engine_for(body.model)
        body.refuse_unsupported()
        # A run trained with the qa or alpaca template is asked in that template instead.
        if engine.template == "chat" and not getattr(engine.tokenizer, "chat_template", None):
            raise ApiError(400, f"model {body.model!r} has no chat template: use /v1/completions")
        try:
            prompt = engine.encode_chat([_plain(m) for m in body.messages])
        except (
            TemplateError,
            ValueError,
            TypeError,
        ) as err:  # e.g. roles out of the expected order
            raise ApiError(
                400, f"the chat template rejected these messages: {err}", param="messages"
            ) from None
        limit = body.max_completion_tokens or body.max_tokens
        sampling = _sampling(engine, body, len(prompt), limit, CHAT_DEFAULT_MAX_TOKENS, "messages")
        jobs = [(i, prompt) for i in range(body.n)]
        return await respond(http, engine, body, jobs, sampling, chat=True)

    @app.post("/v1/completions", dependencies=[Depends(authorize)])
    async def completions(body: CompletionBody, http: HttpRequest):
        engine = engine_for(body.model)
        body.refuse_unsupported()
        encoded = _prompt_ids(engine, body.prompt)
        sampling = _sampling(
            engine,
            body,
            max(map(len, encoded)),
            body.max_tokens,
            COMPLETION_DEFAULT_MAX_TOKENS,
            "prompt",
        )
        jobs = [(i * body.n + j, ids) for i, ids in enumerate(encoded) for j in range(body.n)]
        return await respond(http, engine, body, jobs, sampling, chat=False)

    return app


def _prompt_ids(engine: Engine, prompt: str | list) -> list[list[int]]:
    """Each prompt of a completion request as token ids (clients such as lm-evaluation-harness
    send ids already)."""
    if isinstance(prompt, str) or (prompt and isinstance(prompt[0], int)):
        prompt = [prompt]
    if not prompt:
        raise ApiError(400, "prompt must not be empty", param="prompt")
    # An empty prompt means "start from nothing", which the model reads as its start token.
    start = [engine.tokenizer.bos_token_id or engine.tokenizer.eos_token_id]
    vocab = engine.model.config.vocab_size
    if any(not 0 <= i < vocab for p in prompt if not isinstance(p, str) for i in p):
        raise ApiError(400, f"token ids must lie in [0, {vocab})", param="prompt")
    return [(engine.encode(p) if isinstance(p, str) else p) or start for p in prompt]


def _sampling(
    engine: Engine, body: _Body, prompt_len: int, limit: int | None, default: int, param: str
) -> Sampling:
    room = engine.context_length - prompt_len
    if room <= 0 or (limit is not None and limit > room):
        asked = f" plus max_tokens={limit}" if limit is not None else ""
        raise ApiError(
            400,
            f"the prompt is {prompt_len} tokens{asked}, but model {engine.name!r} has "
            f"a context of {engine.context_length} tokens: shorten the prompt or lower "
            f"max_tokens",
            "context_length_exceeded",
            param,
        )
    stop = [body.stop] if isinstance(body.stop, str) else body.stop or []
    if len(stop) > 4:
        raise ApiError(400, "stop takes at most 4 sequences", param="stop")
    return Sampling(limit or min(default, room), body.temperature, body.top_p, stop, body.seed)


def _plain(message: Message) -> dict[str, str]:
    content = message.content
    if isinstance(content, list):  # content parts: only text exists for these models
        content = "".join(part.get("text", "") for part in content if part.get("type") == "text")
    role = "system" if message.role == "developer" else message.role
    return {"role": role, "content": content or ""}


def _error(
    status: int,
    message: str,
    code: str | None,
    param: str | None,
    kind: str = "invalid_request_error",
) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status)
