"""A row training cannot use (a special token's text, a system prompt the template has no place for,
a question of the test set, a row the template refuses) is named, counted or skipped, never
trained on silently."""

from __future__ import annotations

import pytest

from tests.test_data_mask import ROWS
from tunelab.data.example import Example
from tunelab.data.load import to_example
from tunelab.data.tokenize import tokenize_all


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
    from tunelab.models.random_weights import tiny_random

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
    from tunelab.models.random_weights import tiny_random

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


def test_inspect_and_check_say_a_documents_special_token_text_is_read_as_the_token(
    tmp_path, capsys
):
    # From a walk: `data check docs/data.md` said "hold a special token's text, which training
    # drops", and inspect showed the document "dropped"; training reads it as the token itself.
    from tunelab.config import DataConfig
    from tunelab.data.quality.check import check_file
    from tunelab.data.quality.findings import QualityConfig
    from tunelab.data.quality.inspect import inspect_file

    path = tmp_path / "chat_format.md"
    path.write_text("A turn ends with <|im_end|> in ChatML.\n", encoding="utf-8")
    inspect_file(DataConfig(path=str(path)), model="tiny-random", rows=1)
    assert "dropped" not in capsys.readouterr().out
    report = check_file(path, config=QualityConfig(model="tiny-random"))
    said = " ".join(" ".join(report.warnings).split())
    assert "1 text(s) hold a special token's text, which training reads as the token" in said
    assert "--set data.special_tokens_in_text=text" in said and "drops" not in said


def test_a_row_the_template_refuses_is_skipped_and_counted_with_on_error_skip():
    tokenizer = alternating_tokenizer()
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
    from tunelab.models.random_weights import tiny_tokenizer

    train_file, test_file = tmp_path / "tr.jsonl", tmp_path / "te.jsonl"
    train_file.write_text("".join(f'{{"question": "q{i}?", "answer": "a{i}"}}\n' for i in range(6)))
    test_file.write_text('{"question": "XX?", "answer": "b"}\n{"question": "ok?", "answer": "c"}\n')
    template = "Q: {{ question }}{% if 'XX' in question %}{{ missing }}{% endif %}\nA: "
    config = DataConfig(path=str(train_file), test_path=str(test_file), template=template,
                        on_error="skip")  # fmt: skip
    data = prepare(config, tiny_tokenizer())
    assert [e.question for e in data.test_examples] == ["ok?"] and len(data.test) == 1


def test_rows_around_a_skipped_one_keep_their_own_ids_across_encoding_chunks(monkeypatch):
    # tokenize_all encodes a chunk's texts in one call and hands the ids back by position: a row
    # skipped, dropped or read as raw text between others, or a chunk's edge, must shift none.
    from tunelab.data import tokenize
    from tunelab.data.tokenize import tokenize_example

    tokenizer = alternating_tokenizer()
    twice = Example(messages=[{"role": "user", "content": "a"}, {"role": "user", "content": "b"},
                              {"role": "assistant", "content": "c"}], source="rows.jsonl:2")  # fmt: skip
    rows = [
        Example.qa("How long is the hose?", "Two metres.", source="rows.jsonl:1"),
        twice,
        Example.qa("How does a turn end?", "With <|im_end|>.", source="rows.jsonl:3"),
        Example.qa("Which filter fits?", "The fine one, ünder the lid.", source="rows.jsonl:5"),
        Example(text="A manual's page, read as it is.", source="manual.txt"),
        Example.qa("When is it drained?", "Every day.", source="rows.jsonl:6"),
    ]
    monkeypatch.setattr(tokenize, "ENCODE_CHUNK", 4)
    items, report = tokenize_all(rows, tokenizer, on_error="skip", max_length=512)
    alone = {row.source: row for row in rows}
    assert [item.source for item in items] == [
        "rows.jsonl:1", "rows.jsonl:5", "manual.txt", "rows.jsonl:6"
    ]  # fmt: skip
    for item in items:
        if item.source != "manual.txt":
            expected = tokenize_example(alone[item.source], tokenizer)
            assert (item.input_ids, item.labels) == (expected.input_ids, expected.labels)
    assert report.refused_sources == {"rows.jsonl:2"} and list(report.special_text) == [
        "rows.jsonl:3"
    ]


def alternating_tokenizer():
    """The tiny tokenizer with a chat template that refuses roles out of turn (Llama 2's does)."""
    from tunelab.models.random_weights import tiny_tokenizer

    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = (
        "{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}"
        "{{ raise_exception('Conversation roles must alternate user/assistant') }}{% endif %}"
        "{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
    )
    return tokenizer
