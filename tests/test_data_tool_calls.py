"""Function-calling chats as training data, as TRL's SFTTrainer and LLaMA-Factory take them: a
row's `tools` and an assistant's `tool_calls` are written by the model's own chat template, the
call is trained as any reply and the tool's result is masked; a template that would leave calls
or tools out is refused by the row's name, and a bad call by its file, line and field."""

from __future__ import annotations

import json

import pytest

from tests.conftest import write_jsonl
from tests.test_data_mask import trained_text
from tunelab.data.files.file_text import DataError
from tunelab.data.load import load_examples, to_example
from tunelab.data.prompts.templates import render_prompt
from tunelab.data.quality.check import QualityConfig, check_file
from tunelab.data.question_keys import drop_duplicates
from tunelab.data.tokenize import tokenize_all, tokenize_example
from tunelab.errors import TunelabError
from tunelab.models.random_weights import tiny_tokenizer

TINY = QualityConfig(model="tiny-random")

# As Qwen2.5's (Hermes' format): the tools in the system turn, each call as <tool_call>{json}
# </tool_call>, a tool's result as a user turn in <tool_response>.
TOOL_TEMPLATE = (
    "{%- if tools %}{{ '<|im_start|>system\\n' }}"
    "{%- if messages[0].role == 'system' %}{{ messages[0].content + '\\n\\n' }}{%- endif %}"
    "{{ '# Tools\\n<tools>' }}{%- for tool in tools %}{{ '\\n' + tool | tojson }}{%- endfor %}"
    "{{ '\\n</tools><|im_end|>\\n' }}"
    "{%- elif messages[0].role == 'system' %}"
    "{{ '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}{%- endif %}"
    "{%- for m in messages %}"
    "{%- if m.role == 'assistant' %}{{ '<|im_start|>assistant\\n' + m.content }}"
    "{%- for call in m.tool_calls or [] %}{%- if m.content or not loop.first %}{{ '\\n' }}"
    "{%- endif %}{% set said = {'name': call.function.name, 'arguments': call.function.arguments} %}"
    "{{- '<tool_call>\\n' + said | tojson + '\\n</tool_call>' }}{%- endfor %}"
    "{{- '<|im_end|>\\n' }}"
    "{%- elif m.role == 'tool' %}"
    "{{ '<|im_start|>user\\n<tool_response>\\n' + m.content + '\\n</tool_response><|im_end|>\\n' }}"
    "{%- elif m.role != 'system' %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}"
    "{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city now",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
CALL = {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
ROW = {
    "tools": [WEATHER_TOOL],
    "messages": [
        {"role": "user", "content": "How warm is it in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "content": "Paris: 21C, sunny"},
        {"role": "assistant", "content": "It is 21 degrees and sunny."},
    ],
}


@pytest.fixture
def tool_tokenizer():
    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = TOOL_TEMPLATE
    return tokenizer


def with_turn(index: int, **changes) -> dict:
    """ROW with messages[index] changed."""
    messages = [dict(m) for m in ROW["messages"]]
    messages[index].update(changes)
    return {**ROW, "messages": messages}


def test_the_chat_template_writes_the_tools_and_the_call(tool_tokenizer):
    example = to_example(ROW, "messages", "calls.jsonl:1")
    item = tokenize_example(example, tool_tokenizer)
    assert tool_tokenizer.decode(item.input_ids) == (
        "<|im_start|>system\n# Tools\n<tools>\n"
        + json.dumps(WEATHER_TOOL)
        + "\n</tools><|im_end|>\n"
        "<|im_start|>user\nHow warm is it in Paris?<|im_end|>\n"
        '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": '
        '"Paris"}}\n</tool_call><|im_end|>\n'
        "<|im_start|>user\n<tool_response>\nParis: 21C, sunny\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\nIt is 21 degrees and sunny.<|im_end|>"
    )


def test_the_call_is_trained_as_a_reply_and_the_tool_result_is_masked(tool_tokenizer):
    item = tokenize_example(to_example(ROW, "messages", "calls.jsonl:1"), tool_tokenizer)
    assert trained_text(item, tool_tokenizer) == [
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>',
        "It is 21 degrees and sunny.<|im_end|>",
    ]


def test_a_row_may_end_on_the_call_the_model_is_to_make(tool_tokenizer):
    # Function-calling sets (xLAM, Glaive) teach the choice of call alone: no result, no reply.
    row = {**ROW, "messages": ROW["messages"][:2]}
    item = tokenize_example(to_example(row, "messages", "calls.jsonl:1"), tool_tokenizer)
    assert trained_text(item, tool_tokenizer) == [
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>'
    ]
    # Asked in eval, the prompt offers the same tools.
    prompt = render_prompt(to_example(row, "messages", "calls.jsonl:1"), tool_tokenizer)
    assert "get_weather" in prompt and prompt.endswith("<|im_start|>assistant\n")


def test_arguments_as_json_text_as_openai_sends_them_train_as_an_object(tool_tokenizer):
    as_text = with_turn(1, tool_calls=[{"id": "call_1", "type": "function", "function": {
        "name": "get_weather", "arguments": '{"city": "Paris"}'}}])  # fmt: skip
    one, other = (
        tokenize_example(to_example(row, "messages", "calls.jsonl:1"), tool_tokenizer)
        for row in (ROW, as_text)
    )
    assert one.input_ids == other.input_ids and one.labels == other.labels


def test_llama_factory_sharegpt_function_call_turns_and_tools_as_json_text(tool_tokenizer):
    row = {
        "tools": json.dumps([WEATHER_TOOL["function"]]),  # a bare function, as LLaMA-Factory's
        "conversations": [
            {"from": "human", "value": "How warm is it in Paris?"},
            {"from": "function_call", "value": json.dumps(CALL["function"])},
            {"from": "observation", "value": "Paris: 21C, sunny"},
            {"from": "gpt", "value": "It is 21 degrees and sunny."},
        ],
    }
    sharegpt = tokenize_example(to_example(row, "messages", "calls.jsonl:1"), tool_tokenizer)
    openai = tokenize_example(to_example(ROW, "messages", "calls.jsonl:1"), tool_tokenizer)
    assert sharegpt.input_ids == openai.input_ids and sharegpt.labels == openai.labels


def test_turns_that_call_nothing_may_say_so_with_null_tool_calls(tool_tokenizer):
    row = with_turn(3, tool_calls=None)
    assert "tool_calls" not in to_example(row, "messages", "calls.jsonl:1").messages[3]


@pytest.mark.parametrize(
    "row, why",
    [
        (with_turn(1, tool_calls={"name": 1}), r"messages\[1\]\.tool_calls\[0\] must be a call "
         r"with function\.name"),
        (with_turn(1, tool_calls="get_weather(Paris)"), r"messages\[1\]\.tool_calls is text that "
         r"is not JSON"),
        (with_turn(1, tool_calls=[{"type": "function", "function": {"arguments": "{}"}}]),
         r"messages\[1\]\.tool_calls\[0\] must be a call with function\.name"),
        (with_turn(1, tool_calls=[{"function": {"name": "get_weather", "arguments": "{city:"}}]),
         r"messages\[1\]\.tool_calls\[0\]\.function\.arguments is text that is not JSON"),
        (with_turn(1, tool_calls=[{"function": {"name": "get_weather", "arguments": "[1]"}}]),
         r"messages\[1\]\.tool_calls\[0\]\.function\.arguments must be an object"),
        (with_turn(0, tool_calls=[CALL]), r"messages\[0\] is a user turn with tool_calls: only "
         r"an assistant calls tools"),
        ({**ROW, "tools": {"get_weather": {}}}, r"field 'tools' must be a list of functions"),
        ({**ROW, "tools": [{"description": "no name"}]}, r"tools\[0\] must be a function with a "
         r"name"),
        ({**ROW, "tools": [{"name": "get_weather", "parameters": "city"}]},
         r"tools\[0\]\.parameters must be an object"),
    ],
)  # fmt: skip
def test_a_bad_call_or_tool_is_refused_naming_the_file_line_and_field(tmp_path, row, why):
    path = write_jsonl(tmp_path / "calls.jsonl", [ROW, row])
    with pytest.raises(DataError, match=rf"^{path}:2: {why}"):
        load_examples(path)


def test_smollm2s_chat_template_refuses_calls_and_tools_naming_the_row():
    # The tiny tokenizer has SmolLM2's template (the default model's), which writes content only.
    tokenizer = tiny_tokenizer()
    calls = to_example(ROW, "messages", "calls.jsonl:1")
    with pytest.raises(TunelabError, match=r"^calls\.jsonl:1: this chat has an assistant turn "
                       r"with tool_calls, but the model's chat template does not write them"):  # fmt: skip
        tokenize_example(calls, tokenizer)
    offered = {"tools": [WEATHER_TOOL], "messages": [ROW["messages"][0], ROW["messages"][3]]}
    with pytest.raises(TunelabError, match=r"^calls\.jsonl:2: this row offers tools, but the "
                       r"model's chat template does not write a tools list"):  # fmt: skip
        tokenize_example(to_example(offered, "messages", "calls.jsonl:2"), tokenizer)
    items, report = tokenize_all([calls], tokenizer, on_error="skip")
    assert not items and report.refused[0].startswith("calls.jsonl:1: this chat has")


@pytest.mark.parametrize(
    "template, named",
    [("qa", "the 'qa' template"), ("alpaca", "the 'alpaca' template"),
     ("{% for m in messages %}{{ m.content }}{% endfor %}", "a Jinja template")],
)  # fmt: skip
def test_a_one_reply_template_refuses_calls_and_tools(tool_tokenizer, template, named):
    example = to_example(ROW, "messages", "calls.jsonl:3")
    with pytest.raises(TunelabError, match=rf"^calls\.jsonl:3: tool calls and tools have no place "
                       rf"in {named}.*data\.template: chat"):  # fmt: skip
        tokenize_example(example, tool_tokenizer, template)
    with pytest.raises(TunelabError, match="tool calls and tools have no place"):
        render_prompt(example, tool_tokenizer, template)  # as eval asks it


def test_a_reply_that_calls_says_its_calls_as_its_answer():
    # What eval scores against and data check and split compare: a call is no empty answer.
    example = to_example({**ROW, "messages": ROW["messages"][:2]}, "messages", "calls.jsonl:1")
    assert example.answer == '{"name": "get_weather", "arguments": {"city": "Paris"}}'


def test_rows_asking_alike_but_calling_or_offering_apart_are_no_repeats():
    # xLAM-like sets ask the same thing of other tools, or call with other arguments.
    ends_on_call = {**ROW, "messages": ROW["messages"][:2]}
    other_city = with_turn(1, tool_calls=[{"function": {"name": "get_weather",
                                                        "arguments": {"city": "Rome"}}}])  # fmt: skip
    other_city["messages"] = other_city["messages"][:2]
    other_tools = {**ends_on_call, "tools": [WEATHER_TOOL, {"name": "get_time"}]}
    rows = [ends_on_call, other_city, other_tools, ends_on_call]
    examples = [to_example(row, "messages", f"calls.jsonl:{i}") for i, row in enumerate(rows, 1)]
    kept, dropped = drop_duplicates(examples)
    assert [e.source for e in kept] == ["calls.jsonl:1", "calls.jsonl:2", "calls.jsonl:3"]
    assert dropped == 1


def test_data_check_finds_no_empty_answer_in_a_row_ending_on_its_call(
    tmp_path, monkeypatch, tool_tokenizer
):
    # Checked for a model whose template writes calls (tiny-random's is SmolLM2's).
    monkeypatch.setattr("tunelab.run.load_tokenizer", lambda model: tool_tokenizer)
    rows = [{**ROW, "messages": ROW["messages"][:2]}, ROW]
    report = check_file(write_jsonl(tmp_path / "calls.jsonl", rows), config=TINY)
    assert report.empty == []


def test_a_call_whose_arguments_hold_a_special_tokens_text_is_left_out_by_name(tool_tokenizer):
    # Written into the call, "<|im_end|>" would end the trained reply inside the arguments.
    call = {"function": {"name": "get_weather", "arguments": {"city": "<|im_end|>"}}}
    row = to_example(with_turn(1, tool_calls=[call]), "messages", "calls.jsonl:2")
    fine = to_example(ROW, "messages", "calls.jsonl:1")
    items, report = tokenize_all([fine, row], tool_tokenizer)
    assert len(items) == 1 and report.special_text == {"calls.jsonl:2": "<|im_end|>"}


def test_data_check_finds_personal_data_in_a_calls_arguments(tmp_path, monkeypatch, tool_tokenizer):
    monkeypatch.setattr("tunelab.run.load_tokenizer", lambda model: tool_tokenizer)
    call = {"function": {"name": "send_mail", "arguments": {"to": "jane.doe@example.org"}}}
    row = with_turn(1, tool_calls=[call])
    report = check_file(write_jsonl(tmp_path / "calls.jsonl", [ROW, row]), config=TINY)
    assert [(i, f.kind) for i, f in report.pii] == [(1, "email")]


def test_a_calls_id_and_the_results_tool_call_id_reach_templates_that_pair_them():
    # Mistral's template writes each result with the id of the call it answers.
    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = (
        "{% for m in messages %}{{ m.role }}{% if m.tool_call_id %}[{{ m.tool_call_id }}]{% endif %}"
        ": {{ m.content }}{% for c in m.tool_calls or [] %}{{ c.id }}={{ c.function.name }}"
        "{{ c.function.arguments | tojson }}{% endfor %}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}assistant: {% endif %}"
    )
    call = {"id": "call_1", **CALL}
    row = {"messages": [ROW["messages"][0], {"role": "assistant", "tool_calls": [call]},
                        {"role": "tool", "tool_call_id": "call_1", "content": "21C"}]}  # fmt: skip
    row["messages"].append(ROW["messages"][3])
    item = tokenize_example(to_example(row, "messages", "calls.jsonl:1"), tokenizer)
    assert 'assistant: call_1=get_weather{"city": "Paris"}<|im_end|>\ntool[call_1]: 21C' in (
        tokenizer.decode(item.input_ids)
    )


def test_a_chat_template_set_after_loading_is_the_one_used():
    # A base model's tokenizer is often given a chat template after it loads: what tunelab
    # learns of a template (whether it writes calls and tools, the token that ends a turn) is
    # learned of the template it has now, not the one it had when first asked.
    tokenizer = tiny_tokenizer()  # SmolLM2's template, which writes no calls
    example = to_example(ROW, "messages", "calls.jsonl:1")
    with pytest.raises(TunelabError, match="does not write them"):
        tokenize_example(example, tokenizer)
    tokenizer.chat_template = TOOL_TEMPLATE
    assert tokenize_example(example, tokenizer).input_ids
    tokenizer.chat_template = TOOL_TEMPLATE.replace("<|im_end|>", "<|endoftext|>")
    assert trained_text(tokenize_example(example, tokenizer), tokenizer)[-1] == (
        "It is 21 degrees and sunny.<|endoftext|>"
    )


def test_a_gemini_rows_function_declarations_are_its_tools(tmp_path, tool_tokenizer):
    # Vertex AI's tuning rows offer tools as [{"functionDeclarations": [...]}]: refused as a bad
    # tools[0], though each declaration is OpenAI's function as it is.
    contents = [{"role": "user", "parts": [{"text": "Is it warm in Paris?"}]},
                {"role": "model", "parts": [{"text": "Let me look that up."}]}]  # fmt: skip
    declared = [{"functionDeclarations": [WEATHER_TOOL["function"]]}]
    path = write_jsonl(tmp_path / "gemini.jsonl", [{"contents": contents, "tools": declared}])
    (example,) = load_examples(path)
    assert example.tools == [WEATHER_TOOL]
    assert '"name": "get_weather"' in render_prompt(example, tool_tokenizer)
    # What OpenAI's shape has no place for is refused by its place, not trained without.
    search = [*declared, {"googleSearch": {}}]
    answered = [{**WEATHER_TOOL["function"], "response": {"type": "string"}}]
    for tools, why in [
        (search, r"tools\[1\] holds \['googleSearch'\]: of Gemini's tools only "
         r"functionDeclarations .* is read; leave the others out, or write the functions as "
         r"OpenAI's tools"),
        ([{"functionDeclarations": answered}], r"tools\[0\]\.functionDeclarations\[0\] holds "
         r"\['response'\], which OpenAI's tools have no place for"),
        ([*declared, {}], r"tools\[1\] is \{\}: of Gemini's tools only functionDeclarations"),
    ]:  # fmt: skip
        write_jsonl(path, [{"contents": contents, "tools": tools}])
        with pytest.raises(DataError, match=rf"^{path}:1: {why}"):
            load_examples(path)


def test_a_gemini_rows_function_call_and_response_train_as_an_openai_rows_call_and_result(
    tmp_path, tool_tokenizer
):
    # Vertex AI's tuning rows: the model's call a functionCall part, its result a user turn's
    # functionResponse. Both were refused, "which tunelab cannot train on".
    weather = {"forecast": "21C, sunny"}
    contents = [
        {"role": "user", "parts": [{"text": "How warm is it in Paris?"}]},
        {"role": "model", "parts": [{"text": "Let me look it up."},
                                    {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": weather}}]},
        {"role": "model", "parts": [{"text": "It is 21 degrees and sunny."}]},
    ]  # fmt: skip
    declared = [{"functionDeclarations": [WEATHER_TOOL["function"]]}]
    path = write_jsonl(tmp_path / "gemini.jsonl", [{"contents": contents, "tools": declared}])
    (gemini,) = load_examples(path)
    # The same chat as OpenAI's messages: the result JSON text, as a tool returns it.
    said = {"role": "assistant", "content": "Let me look it up.", "tool_calls": [CALL]}
    result = {"role": "tool", "content": json.dumps(weather), "name": "get_weather"}
    row = {**ROW, "messages": [ROW["messages"][0], said, result, ROW["messages"][3]]}
    openai = to_example(row, "messages", "calls.jsonl:1")
    assert gemini.messages == openai.messages and gemini.tools == openai.tools
    one, other = (tokenize_example(e, tool_tokenizer) for e in (gemini, openai))
    assert one.input_ids == other.input_ids and one.labels == other.labels
    assert trained_text(one, tool_tokenizer) == [
        'Let me look it up.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": '
        '"Paris"}}\n</tool_call><|im_end|>',
        "It is 21 degrees and sunny.<|im_end|>",
    ]
    # A call in a user turn, or a result in the model's, is refused by its place.
    contents[0]["parts"].append(contents[1]["parts"].pop())
    write_jsonl(path, [{"contents": contents, "tools": declared}])
    with pytest.raises(DataError, match=rf"^{path}:1: contents\[0\]\.parts\[1\] is a functionCall "
                       "in a user turn: only the model calls a function"):  # fmt: skip
        load_examples(path)
