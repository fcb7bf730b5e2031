"""Tool-call transcripts as training data and chat requests: a tool's result (role "tool", or
ShareGPT's "observation") is context for the reply after it, never trained; a chat template
that cannot write a tool turn is refused by the row's name, not trained without it."""

from __future__ import annotations

import pytest

from tests.test_data_mask import trained_text
from tunelab.data.example import Example
from tunelab.data.load import to_example
from tunelab.data.prompts.templates import Prompt, render_prompt
from tunelab.data.tokenize import tokenize_all, tokenize_example
from tunelab.errors import TunelabError
from tunelab.models.random_weights import tiny_tokenizer

WEATHER = [
    {"role": "user", "content": "How warm is it in Paris?"},
    {"role": "assistant", "content": "Let me look it up."},
    {"role": "tool", "content": "Paris: 21C, sunny"},
    {"role": "assistant", "content": "It is 21 degrees and sunny."},
]
# As Gemma's: any role but user and assistant raises.
RAISES = (
    "{% for m in messages %}{% if m.role not in ('user', 'assistant') %}"
    "{{ raise_exception('Conversation roles must be user or assistant') }}{% endif %}"
    "{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
# One that writes the roles it knows and leaves any other out, in silence.
DROPS = (
    "{% for m in messages %}{% if m.role in ('system', 'user', 'assistant') %}"
    "{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def test_a_tool_result_is_context_for_the_next_reply_and_never_trained(tiny):
    _, tokenizer = tiny
    example = to_example({"messages": WEATHER}, "messages", "tools.jsonl:1")
    item = tokenize_example(example, tokenizer, "chat")
    assert trained_text(item, tokenizer) == [
        "Let me look it up.<|im_end|>",
        "It is 21 degrees and sunny.<|im_end|>",
    ]
    assert "<|im_start|>tool\nParis: 21C, sunny<|im_end|>" in tokenizer.decode(item.input_ids)


def test_sharegpt_observation_turns_are_tool_turns():
    turns = [{"from": "human" if m["role"] == "user" else m["role"], "value": m["content"]}
             for m in WEATHER]  # fmt: skip
    turns[1]["from"], turns[2]["from"], turns[3]["from"] = "gpt", "observation", "gpt"
    example = to_example({"conversations": turns}, "messages", "tools.jsonl:1")
    assert example.messages == WEATHER


@pytest.mark.parametrize("template", [RAISES, DROPS])
def test_a_chat_template_without_a_tool_role_is_refused_naming_the_row(template):
    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = template
    rows = [Example(messages=WEATHER[:2], source="tools.jsonl:1"),
            Example(messages=WEATHER, source="tools.jsonl:2")]  # fmt: skip
    with pytest.raises(
        TunelabError,
        match=r"^tools\.jsonl:2: this chat has a tool turn, but the model's chat template has no "
        r"tool role",
    ):
        tokenize_all(rows, tokenizer)
    items, report = tokenize_all(rows, tokenizer, on_error="skip")
    assert len(items) == 1 and report.refused[0].startswith("tools.jsonl:2: this chat")
    # Asked (eval, or a chat request, which the server answers with a 400), the same.
    with pytest.raises(TunelabError, match="no tool role"):
        render_prompt(Example(messages=WEATHER), tokenizer)
    with pytest.raises(TunelabError, match="no tool role"):
        Prompt("chat").chat(WEATHER[:3], tokenizer)


@pytest.mark.parametrize(
    "template, named",
    [("qa", "the 'qa' template"), ("alpaca", "the 'alpaca' template"),
     ("Q: {{ question }}\nA:", "a Jinja template")],
)  # fmt: skip
def test_a_one_question_template_refuses_a_tool_turn_rather_than_train_without_it(
    tiny, template, named
):
    _, tokenizer = tiny
    example = Example(messages=WEATHER, source="tools.jsonl:3")
    with pytest.raises(TunelabError, match=rf"^tools\.jsonl:3: a tool turn has no place in "
                       rf"{named}, which asks one question.*data\.template: chat"):  # fmt: skip
        tokenize_example(example, tokenizer, template)
    with pytest.raises(TunelabError, match="a tool turn has no place"):
        render_prompt(example, tokenizer, template)  # as eval asks it
    # A Jinja template that reads the turns writes the tool's too.
    turns = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
    item = tokenize_example(example, tokenizer, turns)
    assert "tool: Paris: 21C, sunny" in tokenizer.decode(item.input_ids)


@pytest.mark.parametrize("template", ["qa", "alpaca", "Q: {{ question }}\nA:"])
def test_a_chat_request_to_a_one_question_template_refuses_a_tool_turn(tiny, template):
    # Such a run is asked the last user message alone: the tool's result would be dropped.
    _, tokenizer = tiny
    prompt = Prompt(template)
    with pytest.raises(TunelabError, match="a tool turn has no place in .*last user message"):
        prompt.chat(WEATHER[:3], tokenizer)
    asked = render_prompt(Example.qa("How warm is it in Paris?"), tokenizer, template)
    assert prompt.chat(WEATHER[:2], tokenizer) == asked


def test_an_empty_tool_result_is_trained_on_as_the_tools_answer(tiny):
    # A search that found nothing returns "": the reply after it ("I found nothing") answers
    # that, so the row loads and the template writes the empty turn before the reply.
    _, tokenizer = tiny
    turns = [*WEATHER[:2], {"role": "tool", "content": ""},
             {"role": "assistant", "content": "The weather service returned nothing."}]  # fmt: skip
    example = to_example({"messages": turns}, "messages", "tools.jsonl:4")
    item = tokenize_example(example, tokenizer, "chat")
    assert "<|im_start|>tool\n<|im_end|>\n<|im_start|>assistant\nThe weather service" in (
        tokenizer.decode(item.input_ids)
    )


def test_a_chat_template_that_leaves_an_empty_tool_result_out_is_refused_naming_the_row():
    # As a template writing no tool turn is: the reply would be trained as if it came straight
    # after the call, the tool's answer gone.
    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = (
        "{% for m in messages %}{% if m.content %}"
        "{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endif %}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
    )
    empty = [*WEATHER[:2], {"role": "tool", "content": ""}, WEATHER[3]]
    rows = [Example(messages=WEATHER, source="tools.jsonl:1"),
            Example(messages=empty, source="tools.jsonl:2")]  # fmt: skip
    with pytest.raises(
        TunelabError,
        match=r"^tools\.jsonl:2: this chat has an empty tool result, which the model's chat "
        r"template leaves out",
    ):
        tokenize_all(rows, tokenizer)
