"""A reply made to call (tool_choice "required" or a named function), as a model writes it under
the call's grammar: whatever the model, the reply is a call, in its template's format, to a
function offered, with arguments that fit the function's schema."""

from __future__ import annotations

import json

import openai
import pytest

from tests.test_data_tool_calls import TOOL_TEMPLATE, WEATHER_TOOL
from tests.test_serve_tool_calls import ASK, LLAMA, MISTRAL
from tests.test_serve_tool_choice import TIME_TOOL, TOOLS, choosing
from tunelab.models.random_weights import tiny_random, tiny_tokenizer
from tunelab.serve.call_schema import misfit
from tunelab.serve.engine import Engine
from tunelab.serve.server import create_app
from tunelab.web import running

BOOKING_TOOL = {
    "type": "function",
    "function": {
        "name": "book_table",
        "parameters": {
            "type": "object",
            "properties": {
                "guests": {"type": "integer"},
                "when": {
                    "type": "object",
                    "properties": {
                        "day": {"enum": ["today", "tomorrow"]},
                        "hour": {"type": "integer"},
                    },
                    "required": ["day"],
                },
            },
            "required": ["guests", "when"],
            "additionalProperties": False,
        },
    },
}
# Llama 3.1's bare JSON and Mistral's [TOOL_CALLS] list, in templates that write the tools too.
WRITES_TOOLS = "{% if tools %}tools: {{ tools | tojson }}\n{% endif %}"


@pytest.mark.parametrize(
    "template",
    [TOOL_TEMPLATE, WRITES_TOOLS + LLAMA, WRITES_TOOLS + MISTRAL],
    ids=["hermes", "llama", "mistral"],
)
def test_a_random_model_made_to_call_always_makes_a_call_that_fits(template):
    # Random weights write no call of their own: each comes from the grammar, in the format the
    # template writes one (tags, "parameters", a list), its arguments of the function's schema.
    model, _ = tiny_random()
    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = template
    engine = Engine(model, tokenizer, name="agent")
    tools = [WEATHER_TOOL, BOOKING_TOOL]
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in tools}
    try:
        with running(create_app({"agent": engine})) as base:
            client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
            for choice, names in (
                ("required", set(schemas)),
                (choosing("book_table"), {"book_table"}),
            ):
                for seed in range(3):
                    reply = client.chat.completions.create(
                        model="agent",
                        messages=[{"role": "user", "content": f"Table for {seed + 2}, please."}],
                        tools=tools,
                        tool_choice=choice,
                        max_tokens=120,
                        seed=seed,
                        logprobs=True,
                    )
                    assert reply.choices[0].finish_reason == "tool_calls"
                    (call,) = reply.choices[0].message.tool_calls
                    assert call.function.name in names
                    arguments = json.loads(call.function.arguments)
                    assert misfit(arguments, schemas[call.function.name]) is None
                    # The opening is the prompt's: usage and logprobs count the reply's tokens.
                    assert len(reply.choices[0].logprobs.content) == reply.usage.completion_tokens
    finally:
        engine.close()


@pytest.mark.slow
def test_the_embedded_model_made_to_call_a_function_calls_it():
    # SmolLM2's own template writes no tools; its turns are ChatML, as Hermes' template's are.
    # Never trained on calls, it goes on from a forced opening with prose; the grammar makes
    # that a call.
    from tunelab.serve.launch import load_engines

    engines = load_engines(["smollm2-135m-instruct"])
    (name,) = engines
    engines[name].tokenizer.chat_template = TOOL_TEMPLATE
    try:
        with running(create_app(engines)) as base:
            client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
            reply = client.chat.completions.create(
                model=name,
                messages=ASK,
                tools=TOOLS,
                tool_choice=choosing("get_time"),
                max_tokens=48,
                temperature=0,
            )
    finally:
        engines[name].close()
    (call,) = reply.choices[0].message.tool_calls
    assert call.function.name == "get_time"
    assert misfit(json.loads(call.function.arguments), TIME_TOOL["function"]["parameters"]) is None
