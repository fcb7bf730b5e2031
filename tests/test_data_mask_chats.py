"""A chat's loss mask: every assistant reply is trained through its turn's end, whatever the chat
template does to history, and a template that keeps one exchange says what it cut."""

from __future__ import annotations

import pytest

from tests.test_data_mask import ROWS, trained_text
from tunelab.data.example import Example
from tunelab.data.load import to_example
from tunelab.data.tokenize import tokenize_all, tokenize_example


def test_every_assistant_turn_of_a_chat_is_trained(tiny):
    _, tokenizer = tiny
    example = to_example(ROWS["messages"], "messages", "row:1")
    item = tokenize_example(example, tokenizer, "chat")
    assert trained_text(item, tokenizer) == ["Hello!<|im_end|>", "See you.<|im_end|>"]
    full = tokenizer.apply_chat_template(example.messages, tokenize=False)
    assert full.startswith(tokenizer.decode(item.input_ids))


def test_a_one_exchange_template_says_when_it_drops_earlier_turns(tiny):
    _, tokenizer = tiny
    chat = to_example(ROWS["messages"], "messages", "chats.jsonl:1")
    items, report = tokenize_all([chat], tokenizer, template="qa", max_length=128)
    assert trained_text(items[0], tokenizer) == ["See you." + tokenizer.eos_token]
    assert "1 multi-turn chats trained on their last exchange only" in report.summary()
    _, report = tokenize_all([chat], tokenizer, template="chat", max_length=128)
    assert "last exchange" not in report.summary()


def test_a_chat_that_opens_with_a_reply_or_ends_unanswered(tiny):
    _, tokenizer = tiny
    greeting = {"role": "assistant", "content": "Hi, how can I help?"}
    exchange = [
        {"role": "user", "content": "Capital of France?"},
        {"role": "assistant", "content": "Paris."},
    ]
    unanswered = {"role": "user", "content": "Thanks!"}
    # An opening reply answers nothing (and no template renders an empty history): context only.
    for messages in ([greeting, *exchange], [greeting, *exchange, unanswered]):
        item = tokenize_example(Example(messages=messages), tokenizer, "chat")
        assert trained_text(item, tokenizer) == ["Paris.<|im_end|>"]
        assert "Hi, how can I help?" in tokenizer.decode(item.input_ids)
    # A one-exchange template asks the question the last reply answers, not a later turn.
    item = tokenize_example(Example(messages=[*exchange, unanswered]), tokenizer, "qa")
    assert tokenizer.decode(item.input_ids) == (
        "### Question:\nCapital of France?\n\n### Answer:Paris.<|im_end|>"
    )


def test_turns_after_a_chats_last_reply_are_said_not_dropped_unsaid(
    tmp_path, capsys, wide_terminal
):
    # A chat dump ending on the user's "Thanks!" trains the reply before it and leaves the
    # unanswered turn out; a question asked last and never answered was lost without a word.
    import json

    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare
    from tunelab.data.quality.check import check_file
    from tunelab.data.quality.findings import QualityConfig
    from tunelab.models.random_weights import tiny_random

    _, tokenizer = tiny_random()
    answered = [{"role": "user", "content": "Capital of France?"},
                {"role": "assistant", "content": "Paris."}]  # fmt: skip
    ended = [*answered, {"role": "user", "content": "And of Spain?"}]
    path = tmp_path / "chats.jsonl"
    path.write_text("".join(json.dumps({"messages": m}) + "\n" for m in (answered, ended, ended)))
    prepare(DataConfig(path=str(path), template="chat"), tokenizer)
    said = " ".join(capsys.readouterr().err.split())
    assert f"2 chat row(s) end on turns after their last reply (first: {path}:2)" in said
    assert "end each chat on the reply to its last turn, or drop that turn" in said
    report = check_file(path, config=QualityConfig(model="tiny-random"))
    assert any(w.startswith("2 chat row(s) end on turns after their last reply (first: "
                            "chats.jsonl:2)") for w in report.warnings)  # fmt: skip
    path.write_text(json.dumps({"messages": answered}) + "\n")
    prepare(DataConfig(path=str(path), template="chat"), tokenizer)
    assert "after their last reply" not in capsys.readouterr().err


def test_a_template_that_rewrites_history_trains_the_last_trained_reply_of_a_chat():
    from tunelab.models.random_weights import tiny_tokenizer

    # As Qwen3's, the template drops the reasoning of replies before the last: the turns no
    # longer continue one another and only the last reply is trained. A trailing user turn
    # made that reply's prompt no prefix of the chat, and tokenizing failed.
    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = (
        "{% for m in messages %}{% if m.role == 'assistant' and not loop.last %}"
        "{{ '<|im_start|>assistant\\n' + m.content.split('</think>')[-1] + '<|im_end|>\\n' }}"
        "{% else %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endif %}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
    )
    turns = ["q1", "<think>r1</think>a1", "q2", "a2", "Thanks!"]
    messages = [{"role": ("user", "assistant")[i % 2], "content": c} for i, c in enumerate(turns)]
    item = tokenize_example(Example(messages=messages), tokenizer, "chat")
    assert trained_text(item, tokenizer) == ["a2<|im_end|>"]
    # A last reply of weight 0 is context, never trained: the last reply trained is the one
    # before it, and its prompt the turns before that.
    messages[3:] = [{"role": "assistant", "content": "a2"}, {"role": "user", "content": "q3"},
                    {"role": "assistant", "content": "a3", "weight": 0}]  # fmt: skip
    item = tokenize_example(Example(messages=messages), tokenizer, "chat")
    assert trained_text(item, tokenizer) == ["a2<|im_end|>"]
    assert "q3" not in tokenizer.decode(item.input_ids)


def test_a_template_that_never_reads_the_messages_counts_chats_cut_to_their_last_exchange(tiny):
    _, tokenizer = tiny
    chat = to_example(ROWS["messages"], "messages", "c.jsonl:1")
    for template, cut in (("{{ prompt }}", 1), ("qa", 1), ("chat", 0),
                          ("{% for m in messages %}{{ m.content }}{% endfor %}", 0)):  # fmt: skip
        _, report = tokenize_all([chat], tokenizer, template=template, max_length=64)
        assert report.last_turn_only == cut, template


def test_a_reply_ends_at_the_templates_turn_end_where_the_eos_is_another_token():
    # Qwen2.5 base, Gemma, Phi-3: the EOS ends a text, another token a chat turn. An EOS was
    # added after every reply ("Hello!<|im_end|>\n<|endoftext|>"), which no chat's history holds
    # at inference; now a reply is trained through the turn's end, where generation stops too.
    from tunelab.generation.generate import eos_ids
    from tunelab.models.random_weights import tiny_random, tiny_tokenizer

    tokenizer = tiny_tokenizer()
    tokenizer.eos_token = "<|endoftext|>"
    example = to_example(ROWS["messages"], "messages", "row:1")
    item = tokenize_example(example, tokenizer, "chat")
    assert trained_text(item, tokenizer) == ["Hello!<|im_end|>", "See you.<|im_end|>"]
    full = tokenizer.apply_chat_template(example.messages, tokenize=False)
    assert tokenizer.decode(item.input_ids) == full.rstrip("\n")
    model, _ = tiny_random()
    assert tokenizer.convert_tokens_to_ids("<|im_end|>") in eos_ids(model, tokenizer)
    # A plain template has no turns: its answer still ends with the EOS.
    qa = tokenize_example(to_example(ROWS["qa"], "qa", "row:1"), tokenizer, "qa")
    assert trained_text(qa, tokenizer) == ["Rivers carry salt.<|endoftext|>"]


def test_chats_trained_on_their_last_reply_only_are_counted_and_a_row_the_template_cannot_render_named():
    from tunelab.errors import TunelabError
    from tunelab.models.random_weights import tiny_tokenizer

    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = (  # as Qwen3's: earlier replies lose their reasoning
        "{% for m in messages %}{% if m.role == 'assistant' and not loop.last %}"
        "{{ '<|im_start|>assistant\\n' + m.content.split('</think>')[-1] + '<|im_end|>\\n' }}"
        "{% else %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endif %}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
    )
    turns = ["q1", "<think>r1</think>a1", "q2", "a2"]
    messages = [{"role": ("user", "assistant")[i % 2], "content": c} for i, c in enumerate(turns)]
    _, report = tokenize_all([Example(messages=messages, source="chat.jsonl:1")], tokenizer)
    assert (
        report.last_reply_only == 1
        and "1 multi-turn chats trained on their last reply only" in (report.summary())
    )
    # As Mistral's: a system turn written into the last user turn; the error names the row.
    tokenizer.chat_template = (
        "{% for m in messages if m.role != 'system' %}{% if m.role == 'user' %}"
        "{{ '[INST] ' + (messages[0].content + ' ' if loop.last and messages[0].role == 'system' "
        "else '') + m.content + ' [/INST]' }}{% else %}{{ m.content + '<|im_end|>' }}{% endif %}"
        "{% endfor %}"
    )
    system = [{"role": "system", "content": "Be brief."}]
    with pytest.raises(TunelabError, match=r"^chat\.jsonl:1: the chat template does not render"):
        tokenize_all([Example(messages=system + messages, source="chat.jsonl:1")], tokenizer)


def test_a_template_that_raises_on_a_row_is_named_and_a_phi3_style_end_trains_every_reply():
    from tunelab.errors import TunelabError
    from tunelab.models.random_weights import tiny_tokenizer

    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = (  # as Mistral's, Gemma's, Llama 2's: roles must alternate
        "{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}"
        "{{ raise_exception('Conversation roles must alternate user/assistant') }}{% endif %}"
        "{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
    )
    twice = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"},
             {"role": "assistant", "content": "c"}]  # fmt: skip
    with pytest.raises(
        TunelabError, match=r"^alt\.jsonl:6: the chat template refused it: .*alternate"
    ):
        tokenize_all([Example(messages=twice, source="alt.jsonl:6")], tokenizer)
    # As Phi-3's: the finished chat ends with the EOS after the last turn's end, which no
    # history holds. Cut at the EOS, the first reply's prompt was no start of the next one and
    # only the last reply was trained.
    tokenizer = tiny_tokenizer()
    tokenizer.eos_token = "<|endoftext|>"
    tokenizer.chat_template = (
        "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
        "{% else %}{{ eos_token }}{% endif %}"
    )
    example = to_example(ROWS["messages"], "messages", "row:1")
    item = tokenize_example(example, tokenizer, "chat")
    assert trained_text(item, tokenizer) == ["Hello!<|im_end|>", "See you.<|im_end|>"]


def test_a_reply_of_weight_0_is_context_not_trained_as_openai_reads_it(tiny):
    # OpenAI's finetuning format marks a reply not to learn with "weight": 0; it was trained.
    from tunelab.data.files.file_text import DataError
    from tunelab.errors import TunelabError

    _, tokenizer = tiny
    turns = [dict(turn) for turn in ROWS["messages"]["messages"]]
    turns[1]["weight"], turns[3]["weight"] = 0, 1
    chat = to_example({"messages": turns}, "messages", "chats.jsonl:1")
    items, report = tokenize_all([chat], tokenizer, template="chat", max_length=128)
    assert trained_text(items[0], tokenizer) == ["See you.<|im_end|>"]
    assert "Hello!" in tokenizer.decode(items[0].input_ids)  # the context the last reply follows
    assert report.last_reply_only == 0  # no template cut: the row asked it so
    # A last reply of weight 0 is no reply a one-question template can leave untrained.
    turns[1]["weight"], turns[3]["weight"] = 1, 0
    chat = to_example({"messages": turns}, "messages", "chats.jsonl:2")
    with pytest.raises(TunelabError, match="chats.jsonl:2: its last reply has weight 0"):
        tokenize_example(chat, tokenizer, "qa")
    # A row that trains nothing, or a weight OpenAI does not take, is a bad row.
    turns[1]["weight"] = 0
    with pytest.raises(DataError, match="every assistant turn has weight 0"):
        to_example({"messages": turns}, "messages", "chats.jsonl:3")
    turns[1]["weight"] = 0.5
    with pytest.raises(DataError, match=r"messages\[1\].weight must be 0 \(not trained\) or 1"):
        to_example({"messages": turns}, "messages", "chats.jsonl:4")
