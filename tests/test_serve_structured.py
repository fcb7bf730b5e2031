"""`tunelab serve`'s response_format, through the official `openai` client on loopback: a tiny
random model, which never writes JSON by itself, answers with JSON of the schema asked for."""

from __future__ import annotations

import json
from typing import Literal

import openai
import pytest
from pydantic import BaseModel, Field

from tunelab.serve.launch import load_engines
from tunelab.serve.server import create_app
from tunelab.web import running

ASK = [{"role": "user", "content": "Describe one training setting as JSON."}]


class Setting(BaseModel):
    # Bounded everywhere: a random model fills whatever room a schema leaves it.
    name: Literal["lr", "epochs", "batch_size"]
    value: int = Field(ge=0, le=1000)
    enabled: bool
    note: str = Field(max_length=20)
    tags: list[Literal["train", "eval"]] = Field(max_length=2)


@pytest.fixture(scope="module")
def client():
    engines = load_engines(["tiny-random"], max_batch=8)
    try:
        with running(create_app(engines)) as base:
            yield openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
    finally:
        engines["tiny-random"].close()


@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_structured_output_parse_gives_an_instance_of_the_model(client, temperature):
    completion = client.chat.completions.parse(
        model="tiny-random",
        messages=ASK,
        response_format=Setting,  # sent as a strict json_schema
        temperature=temperature,
        seed=7,
        n=2,
        max_tokens=600,
    )
    for choice in completion.choices:
        assert choice.finish_reason == "stop"
        assert isinstance(choice.message.parsed, Setting)


def test_json_object_mode_replies_with_a_json_object_streamed_or_not(client):
    def ask(**stream):
        return client.chat.completions.create(
            model="tiny-random",
            messages=ASK,
            response_format={"type": "json_object"},
            temperature=1.0,
            seed=1,
            max_tokens=300,
            **stream,
        )

    whole = ask()
    streamed = "".join(c.choices[0].delta.content or "" for c in ask(stream=True) if c.choices)
    assert streamed == whole.choices[0].message.content
    assert whole.choices[0].finish_reason == "stop" and isinstance(json.loads(streamed), dict)


def test_a_schema_it_cannot_enforce_strictly_is_a_400_and_non_strict_is_lenient(client):
    postcode = {"type": "object", "properties": {"code": {"type": "string", "format": "postcode"}}}

    def ask(strict: bool):
        return client.chat.completions.create(
            model="tiny-random",
            messages=ASK,
            max_tokens=100,
            temperature=0,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "place", "schema": postcode, "strict": strict},
            },
        )

    with pytest.raises(openai.BadRequestError, match="Unknown format") as err:
        ask(strict=True)
    assert err.value.body["code"] == "invalid_json_schema"
    assert ask(strict=False).choices[0].message.content.startswith("{")


def test_a_schema_reply_closes_within_max_tokens_so_it_parses(client):
    # A free string lets a random model write until the budget: cut there, the reply was JSON
    # no client could read. It closes in the budget's last tokens instead, as a local one does.
    notes = {
        "type": "object",
        "properties": {"notes": {"type": "array", "items": {"type": "string"}}},
        "required": ["notes"],
    }
    for seed in range(3):
        completion = client.chat.completions.create(
            model="tiny-random",
            messages=ASK,
            max_tokens=80,
            temperature=1.0,
            seed=seed,
            response_format={"type": "json_schema", "json_schema": {"name": "n", "schema": notes}},
        )
        reply = completion.choices[0].message.content
        assert completion.usage.completion_tokens <= 80
        assert isinstance(json.loads(reply)["notes"], list)
