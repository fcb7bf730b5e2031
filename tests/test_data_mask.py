"""The loss mask: exactly the response and its EOS are trained, for every shape and template
(chats: test_data_mask_chats.py; truncation: test_data_truncation.py; rows left out:
test_data_refused_rows.py)."""

from __future__ import annotations

import pytest

from tunelab.data.example import Example
from tunelab.data.load import to_example
from tunelab.data.prompts.templates import render_prompt
from tunelab.data.tokenize import IGNORE, tokenize_example

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


@pytest.mark.parametrize("template", ["qa", "alpaca", "Q: {{ question }}\nA:"])
def test_a_plain_templates_prompt_has_the_tokenizers_bos_in_training_and_in_generation(template):
    # A Llama-style tokenizer puts a BOS before a text by default. Training used to get it from
    # the tokenizer and generation (which encodes prompts without special tokens) did not: the
    # model was asked without the token it was trained after. Now the prompt's text carries it.
    from tokenizers import processors

    from tunelab.data.prompts.templates import Prompt
    from tunelab.models.random_weights import tiny_tokenizer

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


def test_inspect_counts_a_texts_first_token_as_untrained(tmp_path, capsys):
    # A text's labels cover its first token (windows overlap by it), which no position predicts:
    # inspect said "161 tokens, 161 trained".
    from tunelab.config import DataConfig
    from tunelab.data.example import Example
    from tunelab.data.quality.inspect import inspect_file
    from tunelab.data.tokenize import tokenize_example
    from tunelab.models.random_weights import tiny_tokenizer

    text = "Harborline keeps messages for ten days. " * 3
    path = tmp_path / "doc.txt"
    path.write_text(text)
    item = tokenize_example(Example(text=text), tiny_tokenizer(), "none", None)
    n = len(item.input_ids)
    inspect_file(DataConfig(path=str(path), shape="text", max_length=512), model="tiny-random")
    said = " ".join(capsys.readouterr().out.split())
    assert f"│ {n} │ {n - 1} │ 1 │ yes" in said, said


def test_train_on_prompt_trains_the_question_too(tiny, tmp_path):
    # data.train_on_prompt: every token of a row is trained, the system turn and question as
    # well as the answer; the default trains the answer and its EOS alone.
    import json

    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare

    _, tokenizer = tiny
    path = tmp_path / "qa.jsonl"
    rows = [{"question": f"What is fact {i}?", "answer": f"Fact {i} is true."} for i in range(4)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    config = DataConfig(path=str(path), template="qa", system_prompt="Be brief.", test_size=1)
    answer_only = prepare(config, tokenizer).train[0]
    [trained] = trained_text(answer_only, tokenizer)
    assert trained.startswith("Fact") and "What is fact" not in trained
    both = prepare(config.model_copy(update={"train_on_prompt": True}), tokenizer).train[0]
    assert both.input_ids == answer_only.input_ids
    assert both.labels == both.input_ids
    assert "What is fact" in trained_text(both, tokenizer)[0]


def test_inspect_shows_the_prompt_trained_under_train_on_prompt(tmp_path, capsys):
    from tunelab.config import DataConfig
    from tunelab.data.quality.inspect import inspect_file

    path = tmp_path / "qa.jsonl"
    path.write_text('{"question": "What is fact 1?", "answer": "Fact 1 is true."}\n', "utf-8")
    config = DataConfig(path=str(path), template="qa", train_on_prompt=True)
    inspect_file(config, model="tiny-random")
    said = " ".join(capsys.readouterr().out.split())
    # Every token but the first, which nothing comes before to predict it.
    assert "│ 1 │ yes" in said, said
