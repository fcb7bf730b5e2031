"""An OpenAI-compatible HTTP server over the batching engine: chat and text completions and the
Responses API (streamed as server-sent events or not), the model list, and a health check.

What one request can cost is bounded: its body is read up to `max_body_mb` and refused past it,
a completion takes at most MAX_PROMPTS prompts, and templating and tokenizing run on worker
threads so a long prompt never stalls other clients or /health."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Collection
from typing import TypeVar
from urllib.parse import quote

from fastapi import Depends, FastAPI
from fastapi import Request as HttpRequest
from fastapi.responses import JSONResponse, Response
from jinja2 import TemplateError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from tunelab.data.prompts.templates import BUILTIN_TEMPLATES, template_named
from tunelab.errors import TunelabError
from tunelab.generation.next_token import repetition_penalty
from tunelab.generation.reply_room import fitting_advice
from tunelab.run_prompt import one_question_template
from tunelab.serve.api_errors import ApiError, answer_errors, validation_code
from tunelab.serve.bodies import (
    ChatBody,
    CompletionBody,
    Fields,
    RequestBody,
    ResponsesBody,
)
from tunelab.serve.call_grammar import call_constraint
from tunelab.serve.engine import Engine
from tunelab.serve.formats import constraint_for
from tunelab.serve.launch import DEFAULT_MAX_BODY_MB, meant_id
from tunelab.serve.logprobs import chat_with_logprobs, complete_with_logprobs
from tunelab.serve.responses import choice_jobs, respond
from tunelab.serve.responses_api import answer_response
from tunelab.serve.sampling import Sampling
from tunelab.serve.tool_calls import offered
from tunelab.web import SEND_JSON, LocalHostsOnly, body_within, sent_as_json

log = logging.getLogger(__name__)
# A chat reply's limit when the request names none, or the room its prompt leaves. OpenAI sets no
# cap short of the context, which would let a small model ramble for minutes; 512, not the 256 of
# `tunelab chat` (reply_limit), on purpose: a person sees a reply cut short and asks on, where a
# client written for OpenAI sends no limit and may not check finish_reason, taking a cut JSON
# object or answer for whole. (`tunelab chat URL` sends its own 256.)
CHAT_DEFAULT_MAX_TOKENS = 512
COMPLETION_DEFAULT_MAX_TOKENS = 16  # OpenAI's documented default for /v1/completions
# Prompts in one /v1/completions request (each times n <= 16): eval harnesses batch far fewer.
MAX_PROMPTS = 64
# On a chat reply of a model that takes one question: its template, and how many of the request's
# messages it left out (all but the last user message).
TEMPLATE, LEFT_OUT = "X-Tunelab-Prompt-Template", "X-Tunelab-Left-Out"
# pydantic puts the member of a union it tried in an error's path ("stop.str"): no field's name.
_UNION_MEMBER = re.compile(r"(str|int|float|bool|list|dict|literal|function-[a-z]+)(\[.*\])?")


Body = TypeVar("Body", bound=BaseModel)


def create_app(
    engines: dict[str, Engine],
    api_key: str | None = None,
    max_body_mb: float = DEFAULT_MAX_BODY_MB,
    allowed_hosts: Collection[str] = (),
) -> FastAPI:
    """The app serving `engines` by model id; with `api_key`, /v1 requires `Authorization: Bearer`.
    Requests must name this server or localhost in `Host`, or one of `allowed_hosts`."""
    if api_key is not None and not api_key:
        raise TunelabError("api_key is empty: give a real key, or None to serve without one")
    # No /openapi.json, /docs or /redoc: nothing reads them, and they showed anyone the routes.
    app = FastAPI(title="tunelab", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(LocalHostsOnly, allowed_hosts=allowed_hosts)
    # The template each model takes one question in (None: it reads the conversation), and
    # those whose log has said so: once a server, not at every request.
    one_question = {
        name: one_question_template(engine.prompt, engine.tokenizer)
        for name, engine in engines.items()
    }
    told: set[str] = set()

    def authorized(request: HttpRequest) -> bool:
        if api_key is None:
            return True
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        # compare_digest: the time taken must not reveal how much of the key a guess got right.
        return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), api_key.encode())

    async def authorize(request: HttpRequest) -> None:
        if not authorized(request):
            raise ApiError(
                401, "missing or wrong API key (Authorization: Bearer ...)", "invalid_api_key"
            )

    # The ids in the order served, as /v1/models lists them: the 404's and the 400's lists too.
    served = list(engines)

    def engine_for(model: str) -> Engine:
        if model not in engines:
            raise ApiError(
                404,
                f"model {model!r} is not served here; ids: {served}.{meant_id(model, engines)}",
                "model_not_found",
                "model",
            )
        return engines[model]

    answer_errors(app)

    @app.get("/health")
    async def health(http: HttpRequest) -> dict:
        if not authorized(http):  # which models are served is the key holders' business
            return {"status": "ok"}
        return {"status": "ok", "models": {name: e.load() for name, e in engines.items()}}

    @app.get("/v1/models", dependencies=[Depends(authorize)])
    async def models() -> dict:
        return {
            "object": "list",
            "data": [_model_card(name, e, one_question[name]) for name, e in engines.items()],
        }

    # `path`: a hub id served as itself has a slash (HuggingFaceTB/SmolLM2-135M).
    @app.get("/v1/models/{model:path}", dependencies=[Depends(authorize)])
    async def model(model: str) -> dict:  # the OpenAI client's models.retrieve
        # An unknown id: the 404 naming those served.
        return _model_card(model, engine_for(model), one_question[model])

    async def prepared(body: ChatBody, fields: Fields = ChatBody.FIELDS):
        """A chat request's engine, prompt ids, sampling (its limit, format or call to come) and
        call format; a refusal names the field as `fields` say the client called it."""
        engine = engine_for(body.model)
        body.refuse_unsupported()
        # A run trained with the qa or alpaca template is asked in that template instead.
        if engine.prompt.template == "chat" and not getattr(
            engine.tokenizer, "chat_template", None
        ):
            raise ApiError(400, f"model {body.model!r} has no chat template: use /v1/completions")
        tools, calls = await run_in_threadpool(offered, engine, body)
        try:
            messages = [m.plain(i) for i, m in enumerate(body.messages)]
            opening = calls.opening if calls else ""
            prompt = await run_in_threadpool(engine.encode_chat, messages, tools, opening)
        except (TemplateError, ValueError, TypeError) as err:  # e.g. roles out of order
            raise ApiError(
                400, f"the chat template rejected these messages: {err}", param=fields.messages
            ) from None
        except TunelabError as err:  # e.g. a qa or alpaca run given no user message, or a tool turn
            raise ApiError(400, str(err), param=fields.messages) from None
        limit = body.max_completion_tokens or body.max_tokens
        sampling = _sampling(
            engine, body, len(prompt), limit, CHAT_DEFAULT_MAX_TOKENS, fields.messages, fields.limit
        )
        if calls is not None and calls.opening:  # a call made to come: no text to shape
            sampling.constraint = await run_in_threadpool(call_constraint, engine, calls)
        else:
            shaped = await run_in_threadpool(
                constraint_for, engine, body.response_format, fields.format
            )
            sampling.constraint = shaped
        return engine, prompt, sampling, calls

    def told_what_is_read(answer: dict | Response, body: ChatBody) -> dict | Response:
        """The answer, and where the model takes one question, headers saying which template and
        how many messages it left out (the log says so once a model)."""
        template = one_question[body.model]
        if template is None:
            return answer
        left_out = len(body.messages) - 1  # all but the last user message
        if left_out and body.model not in told:
            told.add(body.model)
            log.warning(
                "model %r was trained with %s, which takes one question: a chat request is "
                "answered from its last user message alone, its system and earlier messages "
                "left out (said once; the %s header of each reply counts them)",
                body.model,
                template_named(template),
                LEFT_OUT,
            )
        named = _template_header(body.model, template)
        return _with_headers(answer, {TEMPLATE: named, LEFT_OUT: str(left_out)})

    @app.post("/v1/chat/completions", dependencies=[Depends(authorize)])
    async def chat(http: HttpRequest):
        body = await _parse(http, ChatBody, max_body_mb, served)
        engine, prompt, sampling, calls = await prepared(body)
        if body.logprobs:
            answer = await chat_with_logprobs(http, engine, body, prompt, sampling, calls)
        else:
            jobs = choice_jobs(body, [prompt])
            answer = await respond(http, engine, body, jobs, sampling, chat=True, calls=calls)
        return told_what_is_read(answer, body)

    @app.post("/v1/responses", dependencies=[Depends(authorize)])
    async def responses(http: HttpRequest):  # OpenAI's Responses API, answered as a chat
        asked = await _parse(http, ResponsesBody, max_body_mb, served)
        asked.refuse_unsupported()
        body = asked.as_chat()
        engine, prompt, sampling, _ = await prepared(body, ResponsesBody.FIELDS)
        return told_what_is_read(await answer_response(http, engine, asked, prompt, sampling), body)

    @app.post("/v1/completions", dependencies=[Depends(authorize)])
    async def completions(http: HttpRequest):
        body = await _parse(http, CompletionBody, max_body_mb, served)
        engine = engine_for(body.model)
        body.refuse_unsupported()
        encoded = await run_in_threadpool(_prompt_ids, engine, body.prompt)
        longest = max(map(len, encoded))
        sampling = (
            None  # max_tokens 0: nothing to generate, the prompt to score
            if body.max_tokens == 0
            else _sampling(
                engine, body, longest, body.max_tokens, COMPLETION_DEFAULT_MAX_TOKENS, "prompt"
            )
        )
        if sampling is None or body.echo or body.logprobs is not None:
            return await complete_with_logprobs(http, engine, body, encoded, sampling)
        return await respond(http, engine, body, choice_jobs(body, encoded), sampling, chat=False)

    return app


async def _parse(
    http: HttpRequest, schema: type[Body], max_body_mb: float, served: list[str]
) -> Body:
    """The body as `schema`, never read past `max_body_mb`. Endpoints call this after the key is
    checked: FastAPI would read and parse a body parameter before any dependency."""
    if not sent_as_json(http.headers.get("content-type")):
        raise ApiError(415, SEND_JSON)
    max_body = int(max_body_mb * 1024 * 1024)
    too_large = ApiError(
        413,
        f"the request body is over {max_body_mb:g} MB (the server's --max-body-mb)",
        "request_too_large",
    )
    body = await body_within(http.stream(), http.headers.get("content-length"), max_body)
    if body is None:
        raise too_large
    try:
        return await run_in_threadpool(schema.model_validate_json, body)
    except ValidationError as err:
        first = err.errors()[0]
        if first["type"] == "json_invalid":  # malformed JSON, or bytes that are not UTF-8
            # pydantic's own "Invalid JSON: " said again after ours; its position kept.
            problem = first["msg"].removeprefix("Invalid JSON: ")
            raise ApiError(400, f"the body is not valid JSON: {problem}") from None
        param = ".".join(str(p) for p in first["loc"] if not _UNION_MEMBER.fullmatch(str(p)))
        given = first.get("input")
        got = f" (got {json.dumps(given)[:40]})" if isinstance(given, str | int | float) else ""
        if param == "model" and first["type"] == "missing":  # what to put there
            got = f" (ids served here: {', '.join(served)})"
        elif first["type"] == "missing" and isinstance(given, dict):
            got = _other_endpoints_field(given, schema)
        raise ApiError(
            400, f"{param or 'body'}: {first['msg']}{got}", validation_code(first), param or None
        ) from None


# What each endpoint asks with: a body sending another's was told only that its own is missing.
_ASKED_WITH = {"messages": "/v1/chat/completions", "prompt": "/v1/completions",
               "input": "/v1/responses"}  # fmt: skip


def _other_endpoints_field(given: dict, schema: type[BaseModel]) -> str:
    """ " (prompt is /v1/completions' field)" where a body lacking its endpoint's own field sends
    another endpoint's (`"prompt"` to chat: "messages: Field required" said nothing of it);
    else ""."""
    sent = next((f for f in _ASKED_WITH if f in given and f not in schema.model_fields), None)
    return f" ({sent} is {_ASKED_WITH[sent]}' field)" if sent else ""


def _prompt_ids(engine: Engine, prompt: str | list) -> list[list[int]]:
    """Each prompt of a completion request as token ids (clients such as lm-evaluation-harness
    send ids already)."""
    if isinstance(prompt, str) or (prompt and isinstance(prompt[0], int)):
        prompt = [prompt]
    if not prompt:  # [] (a list of no prompts); "" is a prompt, answered from the start token
        raise ApiError(
            400,
            'prompt: an empty list holds no prompt; send a string ("" starts from nothing), '
            "a list of strings, or token ids",
            param="prompt",
        )
    if len(prompt) > MAX_PROMPTS:
        raise ApiError(
            400, f"at most {MAX_PROMPTS} prompts per request, got {len(prompt)}", param="prompt"
        )
    # An empty prompt means "start from nothing", which the model reads as its start token.
    start = [engine.tokenizer.bos_token_id or engine.tokenizer.eos_token_id]
    vocab = engine.model.config.vocab_size
    if any(not 0 <= i < vocab for p in prompt if not isinstance(p, str) for i in p):
        raise ApiError(400, f"token ids must lie in [0, {vocab})", param="prompt")
    return [(engine.encode(p) if isinstance(p, str) else p) or start for p in prompt]


def _sampling(
    engine: Engine,
    body: RequestBody,
    prompt_len: int,
    limit: int | None,
    default: int,
    param: str,
    limit_name: str = "max_tokens",
) -> Sampling:
    """The request's sampling, its reply limited to `limit` (else `default`, or the room its
    prompt leaves); a prompt that leaves too little room is a 400 naming `param` and `limit_name`."""
    room = engine.context_length - prompt_len
    if room <= 0 or (limit is not None and limit > room):
        asked = f" plus {limit_name}={limit}" if limit is not None else ""
        fix = fitting_advice(prompt_len, engine.context_length, limit, limit_name, "the prompt")
        raise ApiError(
            400,
            f"the prompt is {prompt_len} tokens{asked}, but model {engine.name!r} has "
            f"a context of {engine.context_length} tokens: {fix}",
            "context_length_exceeded",
            param,
        )
    stop = [body.stop] if isinstance(body.stop, str) else body.stop or []
    if len(stop) > 4:
        raise ApiError(400, "stop takes at most 4 sequences", param="stop")
    return Sampling(
        limit or min(default, room),
        body.temperature,
        body.top_p,
        stop,
        body.seed,
        repetition_penalty=body.repetition_penalty or repetition_penalty(engine.model),
    )


def _model_card(name: str, engine: Engine, one_question: str | None) -> dict:
    """OpenAI's fields, and beside them how the model is asked: a run trained with the qa or
    alpaca template, or a Jinja string of its own (given whole, as its data.template holds it),
    takes one question, which a client sending a system prompt must know."""
    return {
        "id": name,
        "object": "model",
        "created": engine.created,
        "owned_by": "tunelab",
        "prompt_template": one_question or "chat",
        "one_question": one_question is not None,
    }


def _template_header(model: str, template: str) -> str:
    """A one-question model's template as its replies' header names it: qa or alpaca; a Jinja
    string, which a header's one line of Latin-1 cannot hold, by its hash and where the card
    gives it whole ("jinja" alone told a client neither which template nor where to read it)."""
    if template in BUILTIN_TEMPLATES:
        return template
    digest = hashlib.sha256(template.encode()).hexdigest()[:12]
    card = f"/v1/models/{quote(model, safe='/')}"  # an id of any script, as ASCII
    return f"jinja (sha256 {digest}; whole as prompt_template in GET {card})"


def _with_headers(answer: dict | Response, headers: dict[str, str]) -> Response:
    """The answer, a JSON body or a stream, with `headers` added."""
    response = answer if isinstance(answer, Response) else JSONResponse(answer)
    response.headers.update(headers)
    return response
