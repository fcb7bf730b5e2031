"""OpenAI's Responses API on `tunelab serve`, asked as its quickstart asks it
(`client.responses.create`), through the official `openai` client on loopback: the reply is the
chat endpoint's for the same messages, streamed as the API's typed events, cut as OpenAI says a
reply is cut, shaped by a JSON schema; what it cannot do is a 400 naming the field."""

from __future__ import annotations

import json
from typing import Literal

import httpx
import openai
import pytest
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import BaseModel, Field, TypeAdapter

from tunelab.serve.launch import load_engines
from tunelab.serve.server import create_app
from tunelab.web import running

KEY = "s3cret"
QUESTION = "What is a LoRA adapter?"
SEEDED = {"temperature": 1.0, "top_p": 0.9}  # the seed goes in extra_body: not the API's own


class Setting(BaseModel):
    # Bounded everywhere: a random model fills whatever room a schema leaves it.
    name: Literal["lr", "epochs", "batch_size"]
    value: int = Field(ge=0, le=1000)
    enabled: bool


@pytest.fixture(scope="module")
def engines():
    engines = load_engines(["tiny-random"], max_batch=8)
    yield engines
    engines["tiny-random"].close()


@pytest.fixture(scope="module")
def url(engines):
    with running(create_app(engines, api_key=KEY)) as base:
        yield base


@pytest.fixture(scope="module")
def client(url) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0, timeout=60)


def chat_text(client: openai.OpenAI, messages: list[dict], **sampling) -> str:
    reply = client.chat.completions.create(
        model="tiny-random", messages=messages, max_tokens=12, **sampling
    )
    return reply.choices[0].message.content


@pytest.mark.parametrize("sampling", [{"temperature": 0}, {**SEEDED, "seed": 5}])
def test_a_response_says_what_chat_completions_says_to_the_same_messages(client, sampling):
    seed = {"extra_body": {"seed": sampling["seed"]}} if "seed" in sampling else {}
    plain = {k: v for k, v in sampling.items() if k != "seed"}
    response = client.responses.create(
        model="tiny-random", input=QUESTION, max_output_tokens=12, **plain, **seed
    )
    said = chat_text(client, [{"role": "user", "content": QUESTION}], **sampling)
    assert response.output_text == said
    assert response.id.startswith("resp_") and response.object == "response"
    assert (
        response.output[0].role == "assistant" and response.output[0].content[0].annotations == []
    )
    assert response.usage.total_tokens == response.usage.input_tokens + 12
    # Instructions are a system message; a list of input_text parts is the message's text.
    asked = client.responses.create(
        model="tiny-random",
        instructions="Answer in one line.",
        input=[{"role": "user", "content": [{"type": "input_text", "text": QUESTION}]}],
        max_output_tokens=12,
        store=False,  # what OpenAI's own clients send to keep nothing: nothing is kept here
        **plain,
        **seed,
    )
    system = {"role": "system", "content": "Answer in one line."}
    with_system = chat_text(client, [system, {"role": "user", "content": QUESTION}], **sampling)
    assert asked.output_text == with_system
    if "seed" in sampling:  # a random model's greedy reply may be tokens that decode to nothing
        assert said and with_system != said


def test_a_conversation_goes_on_with_the_last_output_sent_back_as_input(client):
    # Nothing is kept on the server (no previous_response_id): the client sends it all again.
    sampling = {"max_output_tokens": 12, **SEEDED, "extra_body": {"seed": 4}}
    first = client.responses.create(model="tiny-random", input=QUESTION, **sampling)
    again = [
        {"role": "user", "content": QUESTION},
        *(item.model_dump(exclude_none=True) for item in first.output),
        {"role": "user", "content": "And its rank?"},
    ]
    second = client.responses.create(model="tiny-random", input=again, **sampling)
    chat = [again[0], {"role": "assistant", "content": first.output_text}, again[-1]]
    assert second.output_text == chat_text(client, chat, **SEEDED, seed=4)


def test_a_reply_cut_by_max_output_tokens_is_incomplete_streamed_or_not(client):
    ask = {"model": "tiny-random", "input": QUESTION, "max_output_tokens": 10, **SEEDED}
    whole = client.responses.create(**ask, extra_body={"seed": 1})
    assert whole.status == "incomplete" and whole.incomplete_details.reason == "max_output_tokens"
    assert whole.usage.output_tokens == 10
    events = list(client.responses.create(**ask, stream=True, extra_body={"seed": 1}))
    kinds = [e.type for e in events if e.type != "response.output_text.delta"]
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.incomplete",
    ]
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == whole.output_text != "" and len(deltas) > 1
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].response.output_text == whole.output_text
    assert {events[0].response.id} == {e.response.id for e in events if hasattr(e, "response")}


def test_a_json_schema_reply_parses_streamed_or_not(client):
    asked = {"model": "tiny-random", "input": "One setting as JSON.", "max_output_tokens": 200}
    parsed = client.responses.parse(**asked, text_format=Setting, **SEEDED, extra_body={"seed": 2})
    assert parsed.status == "completed" and isinstance(parsed.output_parsed, Setting)
    with client.responses.stream(**asked, text_format=Setting, temperature=0) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert isinstance(final.output_parsed, Setting) and "".join(deltas) == final.output_text
    any_object = client.responses.create(**asked, text={"format": {"type": "json_object"}})
    assert isinstance(json.loads(any_object.output_text), dict)


def test_a_response_and_its_events_are_valid_by_the_openai_packages_own_types(url):
    # The client builds its objects without validating them: a field missing from the reply
    # (usage.input_tokens_details.cache_write_tokens) reads as None where its type says int.
    ask = {"model": "tiny-random", "input": QUESTION, "max_output_tokens": 6, "temperature": 0}
    headers = {"Authorization": f"Bearer {KEY}"}
    reply = httpx.post(f"{url}/v1/responses", json=ask, headers=headers, timeout=60)
    assert Response.model_validate(reply.json()).usage.input_tokens_details.cache_write_tokens == 0
    streamed = httpx.post(
        f"{url}/v1/responses", json={**ask, "stream": True}, headers=headers, timeout=60
    )
    data = [line[6:] for line in streamed.text.splitlines() if line.startswith("data: ")]
    events = [TypeAdapter(ResponseStreamEvent).validate_json(d) for d in data]
    assert events[-1].type == "response.incomplete" and events[-1].response.usage.total_tokens


@pytest.mark.parametrize(
    ("asked", "param", "said"),
    [
        (
            {"previous_response_id": "resp_1"},
            "previous_response_id",
            "send the conversation so far",
        ),
        ({"store": True}, "store", "keeps no responses"),
        ({"reasoning": {"effort": "low"}}, "reasoning", "reasoning is not supported"),
        ({"tools": [{"type": "web_search"}]}, "tools", "/v1/chat/completions"),
        (
            {"input": [{"type": "function_call_output", "call_id": "c", "output": "4"}]},
            "input.0.type",
            "'function_call_output' are not supported",
        ),
        ({"input": ["What is LoRA?"]}, "input.0", "an input item is a message"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image"}]}]},
            "input.0.content.0",
            "'input_image' are not supported",
        ),
        (  # a text part is supported: what it lacks is its text
            {"input": [{"role": "user", "content": [{"type": "input_text"}]}]},
            "input.0.content.0.text",
            "'input_text' needs its text",
        ),
        (
            {"text": {"format": {"type": "json_schema", "schema": {}}}},
            "text.format.name",
            "needs its name",
        ),
        ({"max_output_tokens": 100_000}, "input", "plus max_output_tokens=100000"),
    ],
)
def test_what_it_cannot_do_is_a_400_naming_the_field(client, asked, param, said):
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(**{"model": "tiny-random", "input": QUESTION, **asked})
    assert err.value.body["param"] == param
    assert said in err.value.body["message"]


def test_it_takes_the_key_and_host_chat_completions_take(url):
    wrong = openai.OpenAI(base_url=f"{url}/v1", api_key="guess", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.responses.create(model="tiny-random", input=QUESTION)
    rebound = httpx.post(
        f"{url}/v1/responses",
        json={"model": "tiny-random", "input": QUESTION},
        headers={"Authorization": f"Bearer {KEY}", "Host": "evil.example"},
    )
    assert rebound.status_code == 400, rebound.text


def test_a_generation_failing_mid_stream_ends_it_with_response_failed(client, engines, monkeypatch):
    def out_of_memory(*args, **kwargs):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(engines["tiny-random"].model, "forward", out_of_memory)
    events = list(client.responses.create(model="tiny-random", input=QUESTION, stream=True))
    assert events[-1].type == "response.failed" and events[-1].response.status == "failed"
    assert events[-1].response.error.code == "server_error"
    assert "Traceback" not in events[-1].response.error.message
