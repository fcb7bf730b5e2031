"""A small client for a running OpenAI-compatible server (tunelab's own or any other), so `tunelab
chat` and `tunelab generate` can talk to an endpoint URL instead of loading a model; data
generation asks endpoints through the same URL rule."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import TypeVar

import httpx

from tunelab.errors import TunelabError
from tunelab.generation.reply_limit import DEFAULT_MAX_NEW_TOKENS

T = TypeVar("T")


class ContextExceeded(TunelabError):
    """The server's model cannot take this prompt and reply (OpenAI's context_length_exceeded)."""

    @property
    def sizes(self) -> tuple[int, int] | None:
        """The prompt's tokens and the server's context where its message says them (tunelab's
        and vLLM's do), else None."""
        for pattern in _ROOM:
            if found := pattern.search(str(self)):
                return int(found["prompt"]), int(found["context"])
        return None

    @property
    def room(self) -> int | None:
        """The reply's room in the server's context, where the message says it."""
        sizes = self.sizes  # its message searched once
        return None if sizes is None else sizes[1] - sizes[0]


_ROOM = [  # tunelab's message, then vLLM's
    re.compile(r"prompt is (?P<prompt>\d+) tokens.*?context of (?P<context>\d+) tokens"),
    re.compile(r"maximum context length is (?P<context>\d+) tokens.*?\((?P<prompt>\d+) in the"),
]


def is_endpoint(target: str) -> bool:
    """True when a model argument is a server URL rather than a model name or run folder."""
    return target.startswith(("http://", "https://"))


def api_base(url: str) -> str:
    """`http://host:8000`, `.../v1`, `.../v1/` and `.../v1/chat/completions` all mean the same
    API root: the one reading of a server URL, for chat, generate and data generation alike."""
    base = url.rstrip("/").removesuffix("/chat/completions")
    return base if base.endswith("/v1") else f"{base}/v1"


def list_models(url: str, api_key: str | None = None, timeout: float = 30) -> list[str]:
    """The model ids the server offers."""
    return list(served_models(url, api_key, timeout))


def served_models(
    url: str, api_key: str | None = None, timeout: float = 30
) -> dict[str, str | None]:
    """The model ids the server offers, each with the template it takes one question in, as a
    `tunelab serve` card says it (`one_question`, `prompt_template`); None where the model reads
    the conversation, or the server does not say (any other server)."""
    response = _call("GET", url, "/models", api_key, timeout)
    return _read(url, response, lambda answer: {m["id"]: _one_question(m) for m in answer["data"]})


def _one_question(card: dict) -> str | None:
    template = card.get("prompt_template")
    return template if card.get("one_question") is True and isinstance(template, str) else None


def complete_chat(
    url: str,
    messages: list[dict[str, str]],
    model: str | None = None,
    max_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    temperature: float = 0.0,
    api_key: str | None = None,
    timeout: float = 300,
    on_finish: Callable[[str], None] | None = None,
) -> str:
    """The assistant's reply to `messages`; `model` None means the server's first model.
    `on_finish` gets why it ended ("stop", "length") when the server says."""
    body = _chat_body(url, messages, model, max_tokens, temperature, api_key)
    response = _call("POST", url, "/chat/completions", api_key, timeout, body)
    reply, ended = _read(
        url,
        response,
        lambda answer: (
            answer["choices"][0]["message"]["content"],
            answer["choices"][0].get("finish_reason"),
        ),
    )
    if ended and on_finish is not None:
        on_finish(ended)
    return reply


def stream_chat(
    url: str,
    messages: list[dict[str, str]],
    model: str | None = None,
    max_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    temperature: float = 0.0,
    api_key: str | None = None,
    timeout: float = 300,
    on_finish: Callable[[str], None] | None = None,
    sampling: dict | None = None,
) -> Iterator[str]:
    """The reply piece by piece as the server streams it (for a REPL that prints as it goes);
    `on_finish` gets why it ended ("stop", "length") when the server says. `sampling`: more
    of the request's settings by their OpenAI names (top_p, stop, seed)."""
    body = {
        **_chat_body(url, messages, model, max_tokens, temperature, api_key),
        **{k: v for k, v in (sampling or {}).items() if v is not None},
        "stream": True,
    }
    try:
        with httpx.stream(
            "POST",
            f"{api_base(url)}/chat/completions",
            json=body,
            headers=_headers(api_key),
            timeout=timeout,
        ) as response:
            if response.status_code >= 400:
                response.read()
                raise _error(url, response)
            for line in response.iter_lines():
                if not line.startswith("data:") or line.strip() == "data: [DONE]":
                    continue
                chunk = json.loads(line[5:])
                if "error" in chunk:
                    raise TunelabError(f"{url}: {chunk['error'].get('message')}")
                for choice in chunk.get("choices", []):
                    if choice.get("delta", {}).get("content"):
                        yield choice["delta"]["content"]
                    if choice.get("finish_reason") and on_finish is not None:
                        on_finish(choice["finish_reason"])
    except httpx.TransportError as err:
        raise TunelabError(unreachable(url, err)) from None


def _chat_body(url, messages, model, max_tokens, temperature, api_key) -> dict:
    if model is None:
        served = list_models(url, api_key)
        if not served:
            raise TunelabError(f"the server at {url} offers no models")
        model = served[0]
    return {
        "model": model,
        "messages": messages,
        "max_tokens": max_tokens,
        "temperature": temperature,
    }


def _call(method: str, url: str, path: str, api_key, timeout, body=None) -> httpx.Response:
    try:
        response = httpx.request(
            method, f"{api_base(url)}{path}", json=body, headers=_headers(api_key), timeout=timeout
        )
    except httpx.TransportError as err:
        raise TunelabError(unreachable(url, err)) from None
    if response.status_code >= 400:
        raise _error(url, response)
    return response


def _read(url: str, response: httpx.Response, field: Callable[[dict], T]) -> T:
    """`field` of the server's JSON answer. A URL that is some other web page answers 200 with
    HTML: that is a wrong URL to name, not a JSON traceback."""
    try:
        return field(response.json())
    except (ValueError, KeyError, IndexError, TypeError):
        raise TunelabError(
            f"{url} answered {response.status_code} without an OpenAI-compatible reply "
            f"({response.text[:80]!r}): check the URL"
        ) from None


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def unreachable(url: str, err: Exception) -> str:
    return (
        f"no answer from a server at {url} ({type(err).__name__}): start one with "
        f"`tunelab serve MODEL` or check the URL"
    )


def _error(url: str, response: httpx.Response) -> TunelabError:
    try:
        error = response.json()["error"]
        message, code = error["message"], error.get("code")
    except (ValueError, KeyError, TypeError, AttributeError):
        message, code = response.text[:200], None
    hint = " (set --api-key or TUNELAB_API_KEY)" if response.status_code == 401 else ""
    kind = ContextExceeded if code == "context_length_exceeded" else TunelabError
    return kind(f"{url} answered {response.status_code}: {message}{hint}")
