"""The LLMs data generation can ask: a local model in-process (batched through
tunelab.generation.generate) or any OpenAI-compatible endpoint over HTTP; and parsing their replies
into (question, answer) pairs, however loosely they follow the requested JSON."""

from __future__ import annotations

import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from pydantic import model_validator

from tunelab.config import DEFAULT_MODEL, LocalPath
from tunelab.errors import TunelabError
from tunelab.generation.reply_limit import CLOSING_TOKENS
from tunelab.section import Section

log = logging.getLogger(__name__)

Conversation = list[dict[str, str]]
QUESTION_KEYS = ("question", "instruction", "q", "prompt", "query")
ANSWER_KEYS = ("answer", "output", "a", "response", "completion")


class AskConfig(Section):
    """Which model a data generator asks, and how: the settings every generator shares."""

    model: LocalPath = DEFAULT_MODEL
    """Local model or run folder; with `endpoint`, the model name sent to the server."""
    endpoint: str | None = None
    """An OpenAI-compatible base URL to ask instead of a local model."""
    api_key: str | None = None
    """Key for the endpoint."""
    max_new_tokens: int = 512
    """The longest reply, in tokens (JSON from a local model or `tunelab serve` closes within it)."""
    batch_size: int = 16
    """Prompts a local model answers together: decoded as one batch, a few cost little more
    than one (benchmarks/README.md, "Generation"); a call ends with its longest reply."""
    concurrency: int = 4
    """Requests in flight to an endpoint."""
    timeout: float = 120.0
    """Seconds an endpoint may take per request."""

    @property
    def prompts_per_ask(self) -> int:
        """Prompts a generator asks at a time, their rows written as each ask completes: a local
        model's batch (concurrency is an endpoint's: it made `--batch-size 2` ask 4 chunks a
        step); an endpoint's requests in flight, or its batch where that is more."""
        return max(self.batch_size, self.concurrency) if self.endpoint else self.batch_size

    @model_validator(mode="after")
    def _room_to_close(self):
        if self.endpoint:
            return self
        least = CLOSING_TOKENS + 8
        if self.max_new_tokens < least:
            raise ValueError(
                f"max_new_tokens must be at least {least} for a local model, "
                "the room a JSON reply needs to close"
            )
        return self


class LLM(Protocol):
    name: str
    # How each reply of the last `complete` ended: "length" where --max-new-tokens cut it, None
    # where no reply came or its server did not say.
    finish_reasons: list[str | None]

    def complete(
        self, conversations: list[Conversation], temperature: float, schema: dict | None = None
    ) -> list[str | None]:
        """One reply per conversation, None where no reply could be had; with `schema`, a local
        model replies with JSON of it, and an endpoint is sent it as `response_format`."""
        ...


class LocalLLM:
    """A model tunelab can load (embedded default, HF dir, run folder), run in this process."""

    def __init__(self, name: str, max_new_tokens: int = 512, batch_size: int = 16) -> None:
        from tunelab.run import load_model

        self.name = name
        self.model, self.tokenizer = load_model(name)
        self.max_new_tokens, self.batch_size = max_new_tokens, batch_size
        self.calls = 0
        self.finish_reasons: list[str | None] = []

    def complete(
        self, conversations: list[Conversation], temperature: float, schema: dict | None = None
    ) -> list[str | None]:
        from tunelab.generation.generate import generate

        prompts = [
            self.tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
            for c in conversations
        ]
        self.calls += 1
        # A fresh seed per call: a retry at temperature > 0 must not replay the same sample.
        results = generate(
            self.model,
            self.tokenizer,
            prompts,
            max_new_tokens=self.max_new_tokens,
            temperature=temperature,
            batch_size=self.batch_size,
            seed=self.calls,
            schema=schema,
            too_long="skip",
        )
        self.finish_reasons = [r.finish_reason if r else None for r in results]
        return [r.text if r else None for r in results]  # None: no room for a reply


class EndpointLLM:
    """Any server speaking OpenAI's /v1/chat/completions (vLLM, llama.cpp, OpenAI, tunelab serve)."""

    def __init__(
        self,
        url: str,
        model: str,
        api_key: str | None = None,
        max_new_tokens: int = 512,
        concurrency: int = 4,
        retries: int = 3,
        timeout: float = 120.0,
    ) -> None:
        import httpx

        from tunelab.remote import api_base

        self.url = f"{api_base(url)}/chat/completions"
        self.name = f"{model}@{url}"
        self.model, self.max_new_tokens = model, max_new_tokens
        self.concurrency, self.retries = concurrency, retries
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(headers=headers, timeout=timeout)
        self.takes_schema = True  # until the server refuses a response_format
        self.finish_reasons: list[str | None] = []

    def complete(
        self, conversations: list[Conversation], temperature: float, schema: dict | None = None
    ) -> list[str | None]:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            ended = list(pool.map(lambda c: self._one(c, temperature, schema), conversations))
        self.finish_reasons = [reason for _, reason in ended]
        return [reply for reply, _ in ended]

    def _one(
        self, conversation: Conversation, temperature: float, schema: dict | None
    ) -> tuple[str | None, str | None]:
        """The reply and how it ended (None, None where none came)."""
        import httpx

        body = {
            "model": self.model,
            "messages": conversation,
            "temperature": temperature,
            "max_tokens": self.max_new_tokens,
        }
        if schema is not None and self.takes_schema:
            # Servers that decode under a schema (vLLM, llama.cpp, tunelab serve) then always
            # reply JSON a small model otherwise often breaks; not strict, so OpenAI takes
            # keywords its strict mode refuses. The prompt asks for the same JSON either way.
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": schema},
            }
        refused = None
        for attempt in range(self.retries + 1):
            try:
                response, refused = self.client.post(self.url, json=body), None
            except httpx.ConnectError as err:  # nothing listening there (yet)
                response, refused = None, err
            except httpx.TransportError:  # a slow or dropped reply: this request only
                response = None
            if response is not None and response.status_code == 200:
                try:
                    choice = response.json()["choices"][0]
                    return choice["message"]["content"], choice.get("finish_reason")
                except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                    return None, None  # a 200 without a reply is a malformed one, counted later
            if response is not None and _refuses_schema(response) and "response_format" in body:
                # A server without structured output: ask as before, in the prompt only.
                self.takes_schema = False
                log.warning(
                    "%s does not take a response_format (%s): its replies follow the JSON the "
                    "prompt asks for, or are retried",
                    self.url, response.text[:120],
                )  # fmt: skip
                return self._one(conversation, temperature, None)
            if response is not None and response.status_code in (400, 401, 403, 404):
                # The same request will fail the same way: tell the user now.
                raise TunelabError(
                    f"{self.url} answered {response.status_code}: {response.text[:200]}"
                )
            if attempt < self.retries:
                time.sleep(min(0.5 * 2**attempt, 8.0))  # 429, 5xx, connection errors: back off
        if refused is not None:
            # No server: every other request would fail alike, and "replies not parsed" would
            # blame the model. What was made before is kept (generation resumes).
            from tunelab.remote import unreachable

            raise TunelabError(unreachable(self.url, refused))
        return None, None


def _refuses_schema(response) -> bool:
    """A 400 or 422 that names the response format: the server lacks structured output (or this
    schema's keywords), which is no reason to stop generating."""
    text = response.text.lower()
    return response.status_code in (400, 422) and any(
        word in text for word in ("response_format", "json_schema", "schema", "grammar")
    )


def make_llm(settings: AskConfig) -> LLM:
    """The model a generator asks: `settings.endpoint` over HTTP when set, else `settings.model`
    loaded here."""
    if settings.endpoint:
        return EndpointLLM(
            settings.endpoint, settings.model, settings.api_key, settings.max_new_tokens,
            settings.concurrency, timeout=settings.timeout,
        )  # fmt: skip
    return LocalLLM(settings.model, settings.max_new_tokens, settings.batch_size)


def pairs_schema(n: int) -> dict:
    """What a generator asks a local model for: {"pairs": [{"question": ..., "answer": ...}]},
    one to `n` pairs (an object at the top, as OpenAI's strict structured outputs require)."""
    pair = {
        "type": "object",
        "properties": {"question": QUESTION_TEXT, "answer": ANSWER_TEXT},
        "required": ["question", "answer"],
        "additionalProperties": False,
    }
    pairs = {"type": "array", "items": pair, "minItems": 1, "maxItems": max(n, 1)}
    return {
        "type": "object",
        "properties": {"pairs": pairs},
        "required": ["pairs"],
        "additionalProperties": False,
    }


# A question opens with a capital and ends in "?": a small model otherwise copies a statement
# from the text. (An answer is left free: a pattern it must meet before closing can't be forced
# closed at the end of the budget; an answer without words is dropped by the filters instead.)
QUESTION_TEXT = {"type": "string", "maxLength": 200, "pattern": r"^[A-Z][^\n]*\?$"}
ANSWER_TEXT = {"type": "string", "minLength": 1, "maxLength": 600}


def parse_pairs(reply: str | None) -> list[tuple[str, str]] | None:
    """(question, answer) pairs from a reply; None when nothing in it can be read as pairs.

    Accepts a JSON list of objects, an object wrapping such a list, JSON lines, JSON inside
    a ```json fence or after chatter, and as a last resort `Question: ... Answer: ...` text.
    """
    if not reply:
        return None
    text = re.sub(r"```(?:json)?", "", reply)
    decoder = json.JSONDecoder()
    found: list[tuple[str, str]] = []
    pos = 0
    while (start := _next_bracket(text, pos)) is not None:
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            pos = start + 1
            continue
        found += _pairs_from(value)
        pos = end
    if not found:
        found = [
            (q.strip(), a.strip())
            for q, a in re.findall(
                r"(?:Q|Question)\s*\d*\s*[:.]\s*(.+?)\s*\n\s*(?:A|Answer)\s*\d*\s*[:.]\s*(.+?)(?=\n\s*(?:Q|Question)\s*\d*\s*[:.]|\Z)",
                text,
                flags=re.DOTALL | re.IGNORECASE,
            )
        ]
    found = [(q, a) for q, a in found if q.strip() and a.strip()]
    return found or None


def _next_bracket(text: str, pos: int) -> int | None:
    matches = [i for i in (text.find("[", pos), text.find("{", pos)) if i >= 0]
    return min(matches) if matches else None


def _pairs_from(value) -> list[tuple[str, str]]:
    if isinstance(value, list):
        return [p for item in value for p in _pairs_from(item)]
    if not isinstance(value, dict):
        return []
    lowered = {str(k).lower(): v for k, v in value.items()}
    q = next((lowered[k] for k in QUESTION_KEYS if isinstance(lowered.get(k), str)), None)
    a = next((lowered[k] for k in ANSWER_KEYS if isinstance(lowered.get(k), str)), None)
    if q is not None and a is not None:
        return [(q.strip(), a.strip())]
    # {"pairs": [...]} and similar wrappers
    return [p for v in value.values() if isinstance(v, list | dict) for p in _pairs_from(v)]
