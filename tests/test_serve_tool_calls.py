"""`tunelab serve` answering with tool calls, as an agent uses it through the official `openai`
client: the tools offered are written by the model's own chat template (as training writes them),
a call is read back out of the reply in the format that template writes one, and the tool's
result comes back as a "tool" turn of the next request. The served tiny model says a scripted
reply, whatever it is asked: what is tested is the server, not the model."""

from __future__ import annotations

import json

import openai
import pytest

from tests.test_data_tool_calls import TOOL_TEMPLATE, WEATHER_TOOL
from tunelab.data.prompts.templates import Prompt
from tunelab.models.random_weights import tiny_random, tiny_tokenizer
from tunelab.serve import engine as engine_module
from tunelab.serve.call_format import CallFormat, call_format
from tunelab.serve.engine import Engine
from tunelab.serve.server import create_app
from tunelab.web import running

ASK = [{"role": "user", "content": "How warm is it in Paris?"}]
CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'


class Script:
    """What the served models say next, whatever they are asked."""

    text = ""


@pytest.fixture(scope="module")
def served():
    """A client of a server with three models on the same weights: "agent" has a Hermes-style
    chat template that writes tools and calls, "plain" SmolLM2's, which writes neither, and
    "qa" is a run trained with the qa template."""
    model, tokenizer = tiny_random()  # the three tokenizers share its tokens
    script = Script()

    def say(rows, logits):  # each row's next token of the script, then the end of its turn
        ids = tokenizer(script.text, add_special_tokens=False).input_ids
        ids.append(tokenizer.eos_token_id)
        return [ids[min(len(row.generated), len(ids) - 1)] for row in rows]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_module, "pick_tokens", say)
        agent = tiny_tokenizer()
        agent.chat_template = TOOL_TEMPLATE
        engines = {
            "agent": Engine(model, agent, name="agent"),
            "plain": Engine(model, tiny_tokenizer(), name="plain"),
            "qa": Engine(model, tiny_tokenizer(), name="qa", prompt=Prompt(template="qa")),
        }
        try:
            with running(create_app(engines)) as base:
                client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
                yield client, script, engines["agent"]
        finally:
            for engine in engines.values():
                engine.close()


def test_a_reply_that_calls_a_tool_is_answered_with_tool_calls(served):
    client, script, engine = served
    script.text = CALL
    reply = client.chat.completions.create(model="agent", messages=ASK, tools=[WEATHER_TOOL])
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.id.startswith("call_") and call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}  # JSON text, as OpenAI's
    # The model was asked with the tools its template writes, as training wrote them.
    prompt = engine.encode_chat(ASK, [WEATHER_TOOL])
    assert reply.usage.prompt_tokens == len(prompt)
    assert "<tools>\n" + json.dumps(WEATHER_TOOL) in engine.tokenizer.decode(prompt)


def test_the_tools_result_is_sent_back_and_read_in_the_next_prompt(served):
    client, script, engine = served
    script.text = CALL
    first = client.chat.completions.create(model="agent", messages=ASK, tools=[WEATHER_TOOL])
    call = first.choices[0].message.tool_calls[0]
    result = {"role": "tool", "tool_call_id": call.id, "content": "Paris: 21C, sunny"}
    # As an agent loop does it: the reply's message as it came, then the tool's result.
    messages = [*ASK, first.choices[0].message, result]
    script.text = "It is 21 degrees and sunny."
    reply = client.chat.completions.create(model="agent", messages=messages, tools=[WEATHER_TOOL])
    assert reply.choices[0].finish_reason == "stop"
    assert reply.choices[0].message.content == "It is 21 degrees and sunny."
    assert reply.choices[0].message.tool_calls is None
    said = {"role": "assistant", "content": "", "tool_calls": [CALL_AS_TRAINED]}
    prompt = engine.encode_chat([*ASK, said, result], [WEATHER_TOOL])
    assert reply.usage.prompt_tokens == len(prompt)
    assert CALL + "<|im_end|>\n<|im_start|>user\n<tool_response>\nParis: 21C, sunny" in (
        engine.tokenizer.decode(prompt)
    )


CALL_AS_TRAINED = {
    "type": "function",
    "function": {"name": "get_weather", "arguments": {"city": "Paris"}},
}


def test_text_beside_a_call_is_its_content_and_a_reply_without_one_is_text(served):
    client, script, _ = served
    script.text = f"Let me look.\n{CALL}\n{CALL.replace('Paris', 'Oslo')}"
    reply = client.chat.completions.create(model="agent", messages=ASK, tools=[WEATHER_TOOL])
    message = reply.choices[0].message
    assert message.content == "Let me look."
    cities = [json.loads(c.function.arguments)["city"] for c in message.tool_calls]
    assert cities == ["Paris", "Oslo"]
    assert len({c.id for c in message.tool_calls}) == 2
    # What only looks like a call stays the model's text.
    for text in ("It is sunny.", "<tool_call>\nget_weather(Paris)\n</tool_call>"):
        script.text = text
        reply = client.chat.completions.create(model="agent", messages=ASK, tools=[WEATHER_TOOL])
        assert reply.choices[0].message.content == text
        assert reply.choices[0].message.tool_calls is None
        assert reply.choices[0].finish_reason == "stop"


def test_a_call_the_client_cannot_make_comes_back_as_text_and_a_warning(served, caplog):
    # An agent runs each call it is given: one to a function the request did not offer, or
    # without an argument the function requires, is the model's text (as vLLM's parsers drop a
    # call to an unknown function), not a call to dispatch.
    client, script, _ = served
    parameters = {**WEATHER_TOOL["function"]["parameters"], "required": ["city"]}
    tool = {"type": "function", "function": {**WEATHER_TOOL["function"], "parameters": parameters}}
    no_city = '<tool_call>\n{"name": "get_weather", "arguments": {}}\n</tool_call>'
    for text in (CALL.replace("get_weather", "get_time"), no_city, f"{CALL}\n{no_city}"):
        script.text = text
        for stream in (False, True):
            reply = client.chat.completions.create(
                model="agent", messages=ASK, tools=[tool], stream=stream
            )
            chunks = list(reply) if stream else [reply]
            messages = [c.choices[0].delta if stream else c.choices[0].message for c in chunks]
            assert "".join(m.content or "" for m in messages) == text
            assert not any(m.tool_calls for m in messages)
            assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert "'get_time', which the request does not offer" in caplog.text
    assert "'get_weather' does not fit the function's parameters: arguments.city is missing" in (
        caplog.text
    )


def test_tool_choice_none_answers_text_with_the_tools_still_in_the_prompt(served):
    client, script, engine = served
    script.text = CALL
    reply = client.chat.completions.create(
        model="agent", messages=ASK, tools=[WEATHER_TOOL], tool_choice="none"
    )
    assert reply.choices[0].message.content == CALL
    assert reply.choices[0].message.tool_calls is None
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage.prompt_tokens == len(engine.encode_chat(ASK, [WEATHER_TOOL]))


def test_a_streamed_call_comes_as_one_delta_then_its_finish_reason(served):
    client, script, _ = served
    script.text = f"Let me look.\n{CALL}"
    chunks = list(
        client.chat.completions.create(
            model="agent", messages=ASK, tools=[WEATHER_TOOL], stream=True
        )
    )
    deltas = [c.choices[0].delta for c in chunks]
    assert "".join(d.content or "" for d in deltas) == "Let me look."
    (call,) = [call for d in deltas for call in d.tool_calls or ()]
    assert call.index == 0 and call.id.startswith("call_") and call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason] == [
        "tool_calls"
    ]
    # Text offered tools but calling none streams as text.
    script.text = "It is sunny."
    chunks = list(
        client.chat.completions.create(
            model="agent", messages=ASK, tools=[WEATHER_TOOL], stream=True
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "It is sunny."
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_a_streamed_call_carries_its_logprobs_as_the_unstreamed_answer_does(served):
    client, script, _ = served
    script.text = f"Let me look.\n{CALL}"
    asked = dict(model="agent", messages=ASK, tools=[WEATHER_TOOL], logprobs=True, top_logprobs=1)
    whole = client.chat.completions.create(**asked).choices[0].logprobs.content
    chunks = list(client.chat.completions.create(**asked, stream=True))
    streamed = [t for c in chunks if c.choices[0].logprobs for t in c.choices[0].logprobs.content]
    assert [t.token for t in streamed] == [t.token for t in whole]  # the call's tokens and EOS
    assert [t.logprob for t in streamed] == pytest.approx([t.logprob for t in whole], abs=1e-4)
    said = b"".join(bytes(t.bytes) for t in streamed).decode()
    assert said == f"Let me look.\n{CALL}{served[2].tokenizer.eos_token}"


@pytest.mark.parametrize(
    "extra, param, why",
    [
        ({"tools": [WEATHER_TOOL, {"type": "function", "function": {"description": "no name"}}]},
         "tools.1", "tools.1 must be a function with a name"),
        ({"tools": [{"type": "function", "function": {"name": "now", "parameters": "none"}}]},
         "tools.0.function.parameters", "tools.0.function.parameters must be an object"),
        ({"tools": [WEATHER_TOOL],
          "tool_choice": {"type": "function", "function": {"name": "get_time"}}},
         "tool_choice", "names the function 'get_time', which tools does not offer"),
        ({"tools": [WEATHER_TOOL], "tool_choice": "always"},
         "tool_choice", 'tool_choice must be "auto", "none", "required" or'),
        ({"tool_choice": "required"}, "tool_choice", "tool_choice needs tools"),
        ({"messages": [*ASK, {"role": "assistant", "tool_calls": [
            {"type": "function", "function": {"arguments": "{}"}}]}]},
         "messages.1.tool_calls.0", "must be a call with function.name"),
        ({"messages": [*ASK, {"role": "assistant", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": "{city:"}}]}]},
         "messages.1.tool_calls.0.function.arguments", "is text that is not JSON"),
        ({"messages": [{**ASK[0], "tool_calls": [CALL_AS_TRAINED]}]},
         "messages.0.tool_calls", "only an assistant calls tools"),
    ],
)  # fmt: skip
def test_bad_tools_calls_or_choices_are_400s_naming_the_field(served, extra, param, why):
    client, _, _ = served
    with pytest.raises(openai.BadRequestError, match=why) as err:
        client.chat.completions.create(**{"model": "agent", "messages": ASK, **extra})
    assert err.value.body["param"] == param


@pytest.mark.parametrize("model", ["plain", "qa"])
def test_a_model_whose_template_cannot_write_tools_is_refused_them(served, model):
    client, script, _ = served
    with pytest.raises(openai.BadRequestError, match="cannot be offered tools") as err:
        client.chat.completions.create(model=model, messages=ASK, tools=[WEATHER_TOOL])
    assert err.value.body["param"] == "tools"
    # Text asked for is given: the tools it cannot see change nothing.
    script.text = "Sunny."
    reply = client.chat.completions.create(
        model=model, messages=ASK, tools=[WEATHER_TOOL], tool_choice="none"
    )
    assert reply.choices[0].message.content == "Sunny."
    # A call in the history it cannot write is refused, as training refuses it.
    said = {"role": "assistant", "content": None, "tool_calls": [CALL_AS_TRAINED]}
    with pytest.raises(openai.BadRequestError, match="tool_calls|tool calls"):
        client.chat.completions.create(model=model, messages=[*ASK, said])


# A call as four templates write it: Hermes/Qwen2.5's tags, Llama 3.1's bare JSON with
# "parameters", Mistral's list after [TOOL_CALLS], and a Python-like call, which has no JSON.
LLAMA = (
    "{% for m in messages %}{{ m.role }}: {{ m.content }}{% for c in m.tool_calls or [] %}"
    '{{ {"name": c.function.name, "parameters": c.function.arguments} | tojson }}{% endfor %}'
    "<|im_end|>{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}"
)
MISTRAL = LLAMA.replace(
    '{% for c in m.tool_calls or [] %}{{ {"name": c.function.name, "parameters": '
    "c.function.arguments} | tojson }}{% endfor %}",
    "{% if m.tool_calls %}[TOOL_CALLS][{% for c in m.tool_calls %}"
    '{{ {"name": c.function.name, "arguments": c.function.arguments} | tojson }}'
    "{% endfor %}]{% endif %}",
)
PYTHONIC = LLAMA.replace(
    '{{ {"name": c.function.name, "parameters": c.function.arguments} | tojson }}',
    "[{{ c.function.name }}({% for k, v in c.function.arguments.items() %}{{ k }}={{ v }}"
    "{% endfor %})]",
)


@pytest.mark.parametrize(
    "template, learned, opening",
    [
        (TOOL_TEMPLATE, CallFormat("<tool_call>", "</tool_call>"),
         '<tool_call>\n{"name": "f", "arguments":'),
        (LLAMA, CallFormat("", ""), '{"name": "f", "parameters":'),
        (MISTRAL, CallFormat("[TOOL_CALLS][", "]"), '[TOOL_CALLS][{"name": "f", "arguments":'),
        (PYTHONIC, None, None),
    ],
)  # fmt: skip
def test_the_call_format_is_learned_from_the_models_own_template(template, learned, opening):
    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = template
    found = call_format(tokenizer)
    assert found == learned
    # How a reply made to call f, or any function, starts (tool_choice), as the template writes
    # it: up to the value the model goes on with (the arguments, or the name), not its space.
    if found is not None:
        assert found.forcing("f", str).opening == opening
        assert found.forcing(None, str).opening == opening.partition(' "f"')[0]


def test_calls_are_read_in_each_format_and_anything_else_stays_text():
    def read(fmt: CallFormat, text: str):
        content, calls = fmt.read(text)
        return content, [
            (c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls
        ]

    hermes, bare, mistral = (
        CallFormat("<tool_call>", "</tool_call>"),
        CallFormat("", ""),
        CallFormat("[TOOL_CALLS][", "]"),
    )
    assert read(hermes, CALL) == (None, [("get_weather", {"city": "Paris"})])
    # Arguments as JSON text (as OpenAI sends them) or as "parameters"; a reply cut before the
    # closing tag; a call wrapped as OpenAI's.
    assert read(hermes, '<tool_call>\n{"name": "f", "parameters": "{\\"x\\": [1]}"}') == (
        None,
        [("f", {"x": [1]})],
    )
    wrapped = '<tool_call>{"type": "function", "function": {"name": "f", "arguments": {}}}'
    assert read(hermes, wrapped + "</tool_call> Done.") == ("Done.", [("f", {})])
    assert read(bare, '{"name": "f", "parameters": {"x": 1}}; {"name": "g", "parameters": {}}') == (
        None,
        [("f", {"x": 1}), ("g", {})],
    )
    assert read(mistral, '[TOOL_CALLS][{"name": "f", "arguments": {"x": [1]}}, '
                '{"name": "g", "arguments": {}}]') == (None, [("f", {"x": [1]}), ("g", {})])  # fmt: skip
    # Not calls: text, a name without arguments, JSON of something else, a broken call.
    for fmt, text in (
        (bare, "It is sunny."),
        (bare, '{"name": "Bob"}'),
        (bare, '{"city": "Paris"} is where I live'),
        (hermes, '<tool_call>\n{"name": "f", "arguments": {"x": 1\n</tool_call>'),
        (hermes, '<tool_call>{"name": "f", "arguments": {}} and more</tool_call>'),
    ):
        assert read(fmt, text) == (text, [])
