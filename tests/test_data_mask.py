"""The loss mask: exactly the response and its EOS are trained, for every shape and template."""

from __future__ import annotations

import pytest

from tunelab.data.load import to_example
from tunelab.data.templates import Example, render_prompt
from tunelab.data.tokenize import IGNORE, fit_length, tokenize_all, tokenize_example

ROWS = {
    "qa": {"question": "Why is the sea salty?", "answer": "Rivers carry salt."},
    "alpaca": {"instruction": "Translate to French", "input": "cat", "output": "chat"},
    "prompt_completion": {"prompt": "Count: 1 2", "completion": " 3 4"},
    "messages": {
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Bye"},
            {"role": "assistant", "content": "See you."},
        ]
    },
}
TEMPLATES = ["chat", "alpaca", "qa", "Q: {{ question }}\nA:"]


def trained_text(item, tokenizer) -> list[str]:
    """Decode each contiguous run of trained tokens."""
    runs, current = [], []
    for token, label in zip(item.input_ids, item.labels):
        if label != IGNORE:
            current.append(token)
        elif current:
            runs.append(tokenizer.decode(current))
            current = []
    if current:
        runs.append(tokenizer.decode(current))
    return runs


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("shape", ["qa", "alpaca", "prompt_completion"])
def test_only_response_and_eos_are_trained(tiny, shape, template):
    _, tokenizer = tiny
    example = to_example(ROWS[shape], shape, "row:1")
    item = tokenize_example(example, tokenizer, template)
    assert trained_text(item, tokenizer) == [example.answer + tokenizer.eos_token]
    # Everything before the response is exactly the prompt a generation call would send.
    n_prompt = item.labels.index(next(lbl for lbl in item.labels if lbl != IGNORE))
    prompt = render_prompt(example, tokenizer, template)
    assert tokenizer.decode(item.input_ids[:n_prompt]) == prompt
    assert all(lbl == IGNORE for lbl in item.labels[:n_prompt])
    assert item.labels[n_prompt:] == item.input_ids[n_prompt:]


def test_every_assistant_turn_of_a_chat_is_trained(tiny):
    _, tokenizer = tiny
    example = to_example(ROWS["messages"], "messages", "row:1")
    item = tokenize_example(example, tokenizer, "chat")
    assert trained_text(item, tokenizer) == ["Hello!<|im_end|>", "See you.<|im_end|>"]
    full = tokenizer.apply_chat_template(example.messages, tokenize=False)
    assert full.startswith(tokenizer.decode(item.input_ids))


def test_raw_text_trains_every_token(tiny):
    _, tokenizer = tiny
    item = tokenize_example(Example(text="plain manual text"), tokenizer, "chat")
    assert item.labels == item.input_ids
    assert tokenizer.decode(item.input_ids) == "plain manual text<|im_end|>"


def test_eos_is_trained_even_when_pad_equals_eos(tiny):
    _, tokenizer = tiny
    assert tokenizer.pad_token_id == tokenizer.eos_token_id
    item = tokenize_example(Example.qa("q", "a"), tokenizer, "chat")
    assert item.labels[-1] == tokenizer.eos_token_id


def test_keep_response_truncation_cuts_the_prompt_not_the_answer(tiny):
    _, tokenizer = tiny
    example = Example.qa("long question " * 20, "short answer")
    item = tokenize_example(example, tokenizer, "qa")
    fitted = fit_length(item, 40, "keep_response")
    assert len(fitted.input_ids) == 40
    assert trained_text(fitted, tokenizer) == ["short answer<|im_end|>"]
    assert fit_length(item, 40, "drop") is None
    # Cutting the end would leave nothing to learn from: such an example is dropped, not kept.
    assert fit_length(item, 40, "right") is None
    long_answer = tokenize_example(Example.qa("q", "word " * 30), tokenizer, "qa")
    assert fit_length(long_answer, 40, "right").input_ids == long_answer.input_ids[:40]


def test_tokenize_all_reports_truncated_and_dropped(tiny):

    _, tokenizer = tiny
    examples = [Example.qa("q" * 100, "a"), Example.qa("q", "a"), Example.qa("q", "b" * 200)]
    _, report = tokenize_all(examples, tokenizer, template="qa", max_length=64, truncation="drop")
    assert (report.examples, report.dropped) == (1, 2)
    _, report = tokenize_all(examples, tokenizer, template="qa", max_length=64)
    assert (report.examples, report.truncated) == (3, 2)
    assert "2 truncated" in report.summary()
    # The long question lost some of itself; the long answer lost its end and stop token, and
    # was counted alike.
    assert report.answers_cut == 1
    assert "1 of them inside a reply, trained without its end and stop token" in report.summary()
    # Test rows are not trained on: said so of a held-out side.
    assert "inside a reply, scored by eval loss without its end" in report.summary(held_out=True)


def test_inspect_counts_what_a_truncated_reply_trains(tmp_path, capsys):
    import json

    from tunelab.config import DataConfig
    from tunelab.data.quality.inspect import inspect_file

    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"question": "q", "answer": "b " * 200}) + "\n")
    inspect_file(DataConfig(path=str(path), template="qa", max_length=64), model="tiny-random")
    said = " ".join(capsys.readouterr().out.split())
    assert "truncated inside the reply" in said and "│ 64 │" in said, said


def test_the_run_summary_counts_truncation_on_both_sides(tiny, tmp_path):
    import json

    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare

    _, tokenizer = tiny
    path = tmp_path / "qa.jsonl"
    rows = [
        {"question": f"question {i} " + "padding " * (i % 2) * 40, "answer": "a"} for i in range(20)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = DataConfig(
        path=str(path), template="qa", max_length=64, truncation="drop", test_size=0.5
    )
    data = prepare(config, tokenizer)
    summary = data.summary()
    assert "train 10 / test 10 examples" in summary
    assert f"test: {len(data.test)} examples, {10 - len(data.test)} dropped" in summary
    assert len(data.test) < 10
    # Nothing dropped or cut from a side: its count is not said twice.
    plain = prepare(config.model_copy(update={"max_length": 512}), tokenizer).summary()
    assert plain == "train 10 / test 10 examples; 0 exact duplicates removed"


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


def test_a_template_that_rewrites_history_trains_the_last_reply_of_an_unanswered_chat():
    from tunelab.random_models import tiny_tokenizer

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


@pytest.mark.parametrize("template", ["qa", "alpaca", "Q: {{ question }}\nA:"])
def test_a_plain_templates_prompt_has_the_tokenizers_bos_in_training_and_in_generation(template):
    # A Llama-style tokenizer puts a BOS before a text by default. Training used to get it from
    # the tokenizer and generation (which encodes prompts without special tokens) did not: the
    # model was asked without the token it was trained after. Now the prompt's text carries it.
    from tokenizers import processors

    from tunelab.data.templates import Prompt
    from tunelab.random_models import tiny_tokenizer

    tokenizer = tiny_tokenizer()
    bos = "<|endoftext|>"
    tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", special_tokens=[(bos, tokenizer.convert_tokens_to_ids(bos))]
    )
    tokenizer.bos_token = bos
    item = tokenize_example(Example.qa("Where?", "Here."), tokenizer, template)
    asked = tokenizer(
        Prompt(template).question("Where?", tokenizer), add_special_tokens=False
    ).input_ids
    assert asked[0] == tokenizer.bos_token_id and asked.count(tokenizer.bos_token_id) == 1
    assert item.input_ids[: len(asked)] == asked
    assert item.input_ids.count(tokenizer.bos_token_id) == 1
    assert item.labels[: len(asked)] == [IGNORE] * len(asked)


def test_a_turn_holding_a_special_tokens_text_is_dropped_and_named(tiny):
    # "<|im_end|>" in an answer is read as the stop token itself: the model learned to stop
    # there, and the chat template's cut at it dropped the rest of the answer.
    _, tokenizer = tiny
    about = Example.qa("How does a turn end?", "It writes <|im_end|> at the end. Then the user speaks.",
                       source="docs.jsonl:7")  # fmt: skip
    plain = Example.qa("q", "a", source="docs.jsonl:8")
    items, report = tokenize_all([about, plain], tokenizer, template="chat", max_length=64)
    assert [item.source for item in items] == ["docs.jsonl:8"]
    assert report.special_text == {"docs.jsonl:7": "<|im_end|>"}
    assert "1 dropped for holding a special token's text (docs.jsonl:7: '<|im_end|>')" in (
        report.summary()
    )


def test_a_system_prompt_the_template_has_no_place_for_is_said(tmp_path, capsys):
    import json

    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare
    from tunelab.random_models import tiny_random

    _, tokenizer = tiny_random()
    path = tmp_path / "chat.jsonl"
    rows = [{"messages": [{"role": "system", "content": "Answer in French."},
                          {"role": "user", "content": f"q{i}"},
                          {"role": "assistant", "content": f"a{i}"}]} for i in range(6)]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    prepare(DataConfig(path=str(path), template="qa", system_prompt="Be brief."), tokenizer)
    said = " ".join("".join(capsys.readouterr()).split())
    assert (
        "the qa template has no place for a system prompt: data.system_prompt and the system "
        "turns of 6 row(s) are not used (the chat template and Jinja templates use them)"
    ) in said
    prepare(DataConfig(path=str(path), template="chat"), tokenizer)
    assert "no place for a system prompt" not in "".join(capsys.readouterr())


def test_training_rows_all_asking_test_questions_are_named_as_such(tmp_path):
    import json

    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare
    from tunelab.errors import TunelabError
    from tunelab.random_models import tiny_random

    _, tokenizer = tiny_random()
    rows = [{"question": f"Question {i}?", "answer": f"a{i}"} for i in range(3)]
    for name in ("train.jsonl", "test.jsonl"):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = DataConfig(path=str(tmp_path / "train.jsonl"), test_path=str(tmp_path / "test.jsonl"))
    with pytest.raises(
        TunelabError,
        match="no training example left: 0 exact duplicate.s. removed and 3 asking a question of the test set",
    ):
        prepare(config, tokenizer)


def test_a_template_that_never_reads_the_messages_counts_chats_cut_to_their_last_exchange(tiny):
    _, tokenizer = tiny
    chat = to_example(ROWS["messages"], "messages", "c.jsonl:1")
    for template, cut in (("{{ prompt }}", 1), ("qa", 1), ("chat", 0),
                          ("{% for m in messages %}{{ m.content }}{% endfor %}", 0)):  # fmt: skip
        _, report = tokenize_all([chat], tokenizer, template=template, max_length=64)
        assert report.last_turn_only == cut, template


def test_inspect_and_check_name_a_row_training_drops_for_a_special_tokens_text(tmp_path, capsys):
    # Only `train` dropped it: inspect showed it as trained, check said nothing.
    import json

    from tunelab.config import DataConfig
    from tunelab.data.quality.check import check_file
    from tunelab.data.quality.findings import QualityConfig
    from tunelab.data.quality.inspect import inspect_file

    path = tmp_path / "sp.jsonl"
    rows = [{"question": "How does a turn end?", "answer": "With <|im_end|> after each turn."},
            {"question": "q", "answer": "a"}]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    inspect_file(DataConfig(path=str(path), template="qa"), model="tiny-random", rows=2)
    said = " ".join(capsys.readouterr().out.split())
    assert "dropped: holds the special token text '<|im_end|>'" in said
    report = check_file(path, config=QualityConfig(model="tiny-random"))
    assert report.special_text == {0: "<|im_end|>"}
    assert any("1 row(s) hold a special token's text" in w for w in report.warnings)


def test_inspect_counts_a_texts_first_token_as_untrained(tmp_path, capsys):
    # A text's labels cover its first token (windows overlap by it), which no position predicts:
    # inspect said "161 tokens, 161 trained".
    from tunelab.config import DataConfig
    from tunelab.data.quality.inspect import inspect_file
    from tunelab.data.templates import Example
    from tunelab.data.tokenize import tokenize_example
    from tunelab.random_models import tiny_tokenizer

    text = "Harborline keeps messages for ten days. " * 3
    path = tmp_path / "doc.txt"
    path.write_text(text)
    item = tokenize_example(Example(text=text), tiny_tokenizer(), "none", None)
    n = len(item.input_ids)
    inspect_file(DataConfig(path=str(path), shape="text", max_length=512), model="tiny-random")
    said = " ".join(capsys.readouterr().out.split())
    assert f"│ {n} │ {n - 1} │ 1 │ yes" in said, said


def test_a_reply_ends_at_the_templates_turn_end_where_the_eos_is_another_token():
    # Qwen2.5 base, Gemma, Phi-3: the EOS ends a text, another token a chat turn. An EOS was
    # added after every reply ("Hello!<|im_end|>\n<|endoftext|>"), which no chat's history holds
    # at inference; now a reply is trained through the turn's end, where generation stops too.
    from tunelab.generate import eos_ids
    from tunelab.random_models import tiny_random, tiny_tokenizer

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
    from tunelab.random_models import tiny_tokenizer

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
    from tunelab.random_models import tiny_tokenizer

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


def test_a_row_the_template_refuses_is_skipped_and_counted_with_on_error_skip():
    from tunelab.random_models import tiny_tokenizer

    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = (  # roles must alternate
        "{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}"
        "{{ raise_exception('Conversation roles must alternate user/assistant') }}{% endif %}"
        "{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
    )
    good = to_example(ROWS["messages"], "messages", "alt.jsonl:1")
    twice = Example(messages=[{"role": "user", "content": "a"}, {"role": "user", "content": "b"},
                              {"role": "assistant", "content": "c"}], source="alt.jsonl:2")  # fmt: skip
    items, report = tokenize_all([good, twice], tokenizer, on_error="skip")
    assert len(items) == 1 and report.refused[0].startswith("alt.jsonl:2: the chat template")
    assert "1 skipped, which the prompt template could not render (alt.jsonl:2" in report.summary()


def test_a_skipped_row_is_no_held_out_question_either(tmp_path):
    # It was left out of the tokenized test rows only: the held-out questions asked during
    # training (and eval of the run) rendered it again and failed, naming no row.
    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare
    from tunelab.random_models import tiny_tokenizer

    train_file, test_file = tmp_path / "tr.jsonl", tmp_path / "te.jsonl"
    train_file.write_text("".join(f'{{"question": "q{i}?", "answer": "a{i}"}}\n' for i in range(6)))
    test_file.write_text('{"question": "XX?", "answer": "b"}\n{"question": "ok?", "answer": "c"}\n')
    template = "Q: {{ question }}{% if 'XX' in question %}{{ missing }}{% endif %}\nA: "
    config = DataConfig(path=str(train_file), test_path=str(test_file), template=template,
                        on_error="skip")  # fmt: skip
    data = prepare(config, tiny_tokenizer())
    assert [e.question for e in data.test_examples] == ["ok?"] and len(data.test) == 1
