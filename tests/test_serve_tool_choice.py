"""`tool_choice` on /v1/chat/completions: "required" and a named function make the reply a call,
its opening prefilled after the prompt as the model's own chat template writes one and the rest
decoded under a grammar of that call (its name offered, its arguments of the function's schema;
tests/test_serve_call_grammar.py has models write it); "none" reads no call. The served tiny model
says a scripted reply: what it writes after the opening."""

from __future__ import annotations

import json

import pytest

from tests.test_data_tool_calls import WEATHER_TOOL
from tests.test_serve_tool_calls import ASK, served  # noqa: F401  (a module-scoped server)

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
    opening = '<tool_call>\n{"name": "get_time", "arguments":'
    script.text = ' {"city": "Paris"}}\n</tool_call>'  # what the model writes after the opening
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
    script.text = ' "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>'
    # A response_format shapes a text reply; one made to call follows the call's grammar.
    reply = client.chat.completions.create(
        model="agent",
        messages=ASK,
        tools=TOOLS,
        tool_choice="required",
        response_format={"type": "json_object"},
    )
    (call,) = reply.choices[0].message.tool_calls
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Oslo"}


def test_parameters_llguidance_cannot_compile_are_said_in_the_log_not_refused(served, caplog):  # noqa: F811
    client, script, _ = served
    # An unknown format is left out of the grammar; the call is still made and checked.
    coded = {"type": "string", "format": "flight-code"}
    flight = {
        "type": "function",
        "function": {
            "name": "find_flight",
            "parameters": {"type": "object", "properties": {"code": coded}, "required": ["code"]},
        },
    }
    script.text = ' {"code": "KL1234"}}\n</tool_call>'
    reply = client.chat.completions.create(
        model="agent", messages=ASK, tools=[flight], tool_choice=choosing("find_flight")
    )
    (call,) = reply.choices[0].message.tool_calls
    assert json.loads(call.function.arguments) == {"code": "KL1234"}
    assert "ignoring what llguidance cannot enforce in the parameters of find_flight" in caplog.text
    # A look-ahead pattern compiles in no grammar: the call is decoded freely after its opening,
    # and what does not read back as one is the reply's text, the opening first.
    coded["pattern"] = "^(?!XX)[A-Z]{2}[0-9]+$"
    script.text = " KL1234"
    reply = client.chat.completions.create(
        model="agent", messages=ASK, tools=[flight], tool_choice=choosing("find_flight")
    )
    content = reply.choices[0].message.content
    assert content.startswith('<tool_call>\n{"name": "find_flight", "arguments":')
    assert content.endswith("KL1234")
    assert reply.choices[0].message.tool_calls is None
    assert reply.choices[0].finish_reason == "stop"
    assert "decoded without a grammar, so it may not read back (find_flight)" in caplog.text


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    "cut, why",
    [
        ({"max_tokens": 4}, "by max_tokens before it was whole, so none is made: raise max_tokens"),
        (
            {"stop": ["Par"]},
            "by a stop string before it was whole, so none is made: leave stop out",
        ),
    ],
)
def test_a_forced_call_cut_short_says_so_and_makes_no_call(served, stream, cut, why):  # noqa: F811
    client, script, _ = served
    script.text = ' {"city": "Paris"}}\n</tool_call>'
    reply = client.chat.completions.create(
        model="agent",
        messages=ASK,
        tools=TOOLS,
        tool_choice=choosing("get_time"),
        stream=stream,
        **cut,
    )
    chunks = list(reply) if stream else [reply]
    messages = [c.choices[0].delta if stream else c.choices[0].message for c in chunks]
    # No call an agent would run on arguments cut in half, and no finish that says it called.
    assert not [call for m in messages for call in m.tool_calls or ()]
    finish = "length" if "max_tokens" in cut else "stop"
    assert [c.choices[0].finish_reason for c in chunks][-1] == finish
    content = "".join(m.content or "" for m in messages)
    # Then what the reply has: the call's prefilled opening and the arguments cut in half.
    opening = '<tool_call>\n{"name": "get_time", "arguments":'
    assert content.startswith(f"[tool call cut short {why}] {opening}")
    assert "Paris" not in content
