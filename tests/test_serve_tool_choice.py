"""`tool_choice` on /v1/chat/completions: "required" and a named function make the reply open a
call, its opening prefilled after the prompt as the model's own chat template writes one, the
model writing the rest; "none" reads no call. The served tiny model says a scripted reply (what
it writes after the opening), except where a random model's own reply is the point."""

from __future__ import annotations

import json

import openai
import pytest

from tests.test_data_tool_calls import TOOL_TEMPLATE, WEATHER_TOOL
from tests.test_serve_tool_calls import ASK, served  # noqa: F401  (a module-scoped server)
from tunelab.random_models import tiny_random, tiny_tokenizer
from tunelab.serve.engine import Engine
from tunelab.serve.server import create_app
from tunelab.web import running

TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
TOOLS = [WEATHER_TOOL, TIME_TOOL]


def choosing(name: str) -> dict:
    return {"type": "function", "function": {"name": name}}


@pytest.mark.parametrize("stream", [False, True])
def test_a_named_choice_makes_the_reply_call_that_function(served, stream):  # noqa: F811
    client, script, engine = served
    opening = '<tool_call>\n{"name": "get_time", "arguments": {'
    script.text = '"city": "Paris"}}\n</tool_call>'  # what the model writes after the opening
    reply = client.chat.completions.create(
        model="agent",
        messages=ASK,
        tools=TOOLS,
        tool_choice=choosing("get_time"),
        stream=stream,
        stream_options={"include_usage": True} if stream else None,
    )
    chunks = list(reply) if stream else [reply]
    messages = [c.choices[0].delta if stream else c.choices[0].message for c in chunks if c.choices]
    (call,) = [call for m in messages for call in m.tool_calls or ()]
    assert call.function.name == "get_time"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    # The model read the opening as the end of its prompt, after the generation prompt.
    prompt = engine.encode_chat(ASK, TOOLS, opening)
    assert engine.tokenizer.decode(prompt).endswith("<|im_start|>assistant\n" + opening)
    assert chunks[-1].usage.prompt_tokens == len(prompt)


def test_required_makes_the_reply_call_a_function_it_names_itself(served):  # noqa: F811
    client, script, _ = served
    script.text = 'get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>'
    reply = client.chat.completions.create(
        model="agent", messages=ASK, tools=TOOLS, tool_choice="required"
    )
    (call,) = reply.choices[0].message.tool_calls
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Oslo"}


def test_a_forced_call_that_does_not_complete_is_text_that_opens_with_it(served, caplog):  # noqa: F811
    # The model chose the opening's continuation: arguments that are no JSON, or a call to a
    # function other than the one named, are its text, as an unasked call that breaks is.
    client, script, _ = served
    for choice, text, said in (
        (choosing("get_time"), "Paris", '<tool_call>\n{"name": "get_time", "arguments": {Paris'),
        ("required", 'now", "arguments": {}}', '<tool_call>\n{"name": "now", "arguments": {}}'),
    ):
        script.text = text
        reply = client.chat.completions.create(
            model="agent", messages=ASK, tools=TOOLS, tool_choice=choice
        )
        assert reply.choices[0].message.content == said
        assert reply.choices[0].message.tool_calls is None
        assert reply.choices[0].finish_reason == "stop"
    assert "'now', which the request does not offer" in caplog.text


def test_a_random_models_reply_starts_with_the_call_it_is_made_to_make():
    model, _ = tiny_random()
    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = TOOL_TEMPLATE
    content = forced_reply({"agent": Engine(model, tokenizer, name="agent")}, "get_time")
    # Eight random tokens complete no arguments: the reply is text, the forced opening first.
    opening = '<tool_call>\n{"name": "get_time", "arguments": {'
    assert content.startswith(opening) and len(content) > len(opening)


@pytest.mark.slow
def test_the_embedded_models_reply_starts_with_the_call_it_is_made_to_make():
    # SmolLM2's own template writes no tools; its turns are ChatML, as Hermes' template's are.
    from tunelab.serve.launch import load_engines

    engines = load_engines(["smollm2-135m-instruct"])
    engines["smollm2-135m-instruct"].tokenizer.chat_template = TOOL_TEMPLATE
    # A model never trained on calls does not finish one in eight tokens; it goes on from the
    # opening its tokenizer read at the prompt's end.
    assert forced_reply(engines, "get_weather").startswith(
        '<tool_call>\n{"name": "get_weather", "arguments": {'
    )


def forced_reply(engines: dict[str, Engine], function: str) -> str:
    """What the one model of `engines` says made to call `function`: 8 greedy tokens."""
    (name,) = engines
    try:
        with running(create_app(engines)) as base:
            client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
            reply = client.chat.completions.create(
                model=name,
                messages=ASK,
                tools=TOOLS,
                tool_choice=choosing(function),
                max_tokens=8,
                temperature=0,
            )
    finally:
        engines[name].close()
    return reply.choices[0].message.content
