"""Every supported file format and data shape loads into the same examples."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tunelab.data.example import Example
from tunelab.data.load import load_examples
from tunelab.data.split import split_examples
from tunelab.errors import TunelabError

ROWS = [{"question": f"q{i}", "answer": f"a{i}"} for i in range(6)]


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "parquet", "dataset"])
def test_formats(tmp_path, fmt):
    path = tmp_path / f"data.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    elif fmt == "json":
        path.write_text(json.dumps(ROWS))
    elif fmt == "csv":
        pd.DataFrame(ROWS).to_csv(path, index=False)
    elif fmt == "parquet":
        pd.DataFrame(ROWS).to_parquet(path)
    else:
        import datasets

        datasets.Dataset.from_list(ROWS).save_to_disk(str(path))
    examples = load_examples(path)
    assert [(e.question, e.answer) for e in examples] == [
        (r["question"], r["answer"]) for r in ROWS
    ]


@pytest.mark.parametrize(
    ("row", "question", "answer"),
    [
        ({"instruction": "Add", "input": "1 2", "output": "3"}, "Add\n\n1 2", "3"),
        ({"prompt": "Hi", "completion": "Yo"}, "Hi", "Yo"),
        (
            {"messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "v"}]},
            "u",
            "v",
        ),
        (
            {"conversations": [{"from": "human", "value": "u"}, {"from": "gpt", "value": "v"}]},
            "u",
            "v",
        ),
        (  # Gemini's and Gemma's name for the assistant
            {"messages": [{"role": "user", "content": "u"}, {"role": "model", "content": "v"}]},
            "u",
            "v",
        ),
    ],
)
def test_shapes_are_detected(tmp_path, row, question, answer):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(row) + "\n")
    (example,) = load_examples(path)
    assert (example.question, example.answer) == (question, answer)


def test_a_number_is_read_as_its_text_in_every_shape(tmp_path):
    # A qa row's answer 4 trained "4"; a chat's reply 4 stopped the run ("content must be text").
    path = tmp_path / "numbers.jsonl"
    rows = [
        {"question": "2+2?", "answer": 4},
        {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": 4}]},
        {"conversations": [{"from": "human", "value": 7}, {"from": "gpt", "value": 0.5}]},
    ]
    read = []
    for row in rows:
        path.write_text(json.dumps(row) + "\n")
        (example,) = load_examples(path)
        read.append((example.question, example.answer))
    assert read == [("2+2?", "4"), ("2+2?", "4"), ("7", "0.5")]
    nan = {"messages": [{"role": "user", "content": float("nan")}, rows[1]["messages"][1]]}
    path.write_text(json.dumps(nan) + "\n")
    with pytest.raises(TunelabError, match=r"messages\[0\].content must be text"):
        load_examples(path)


def test_json_lines_under_a_json_name_load(tmp_path):
    import datasets

    path = tmp_path / "exported.json"
    datasets.Dataset.from_list(ROWS).to_json(str(path))  # writes one object per line by default
    assert [e.answer for e in load_examples(path)] == [r["answer"] for r in ROWS]


def test_tsv_and_a_csv_cell_longer_than_128k_characters(tmp_path):
    long_answer = "word " * 40_000
    path = tmp_path / "long.csv"
    pd.DataFrame([{"question": "q", "answer": long_answer}]).to_csv(path, index=False)
    assert load_examples(path)[0].answer == long_answer
    tsv = tmp_path / "data.tsv"
    pd.DataFrame(ROWS).to_csv(tsv, sep="\t", index=False)
    assert len(load_examples(tsv)) == len(ROWS)


def test_a_csv_cell_keeps_its_windows_line_ends(tmp_path):
    # Read as text with newline translation, "\r\n" inside a quoted cell came back as "\n".
    rows = [{"question": "two\r\nlines", "answer": "a\r\n"}]
    path = tmp_path / "crlf.csv"
    pd.DataFrame(rows).to_csv(path, index=False, lineterminator="\r\n")
    (example,) = load_examples(path)
    assert (example.question, example.answer) == ("two\r\nlines", "a\r\n")


def test_chat_turns_in_a_csv_cell_are_read_as_their_json(tmp_path):
    # The README lists chats among the shapes and CSV among the formats; a CSV cell is text, and
    # the loader said "field 'messages' must be a non-empty list of turns" of every row.
    turns = [
        {"role": "user", "content": "Hi, is it free?"},
        {"role": "assistant", "content": "Yes."},
    ]
    path = tmp_path / "chats.csv"
    pd.DataFrame({"messages": [json.dumps(turns), "not json"]}).to_csv(path, index=False)
    with pytest.raises(
        TunelabError, match=r"chats.csv:3: field 'messages' is text that is not JSON"
    ):
        load_examples(path)
    (example,) = load_examples(path, on_error="skip")
    assert (example.question, example.answer) == ("Hi, is it free?", "Yes.")


def test_field_mapping(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"ask": "q", "reply": "a"}) + "\n")
    (example,) = load_examples(path, shape="qa", fields={"question": "ask", "answer": "reply"})
    assert (example.question, example.answer) == ("q", "a")


def test_a_texts_label_is_said_with_the_mapping_that_trains_it(tmp_path, capsys):
    # A sentiment CSV (text,label) loaded as texts to pretrain on, its labels dropped unsaid.
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\nGreat product,positive\nBroke in a day,negative\n")
    assert [e.text for e in load_examples(path)] == ["Great product", "Broke in a day"]
    said = " ".join(capsys.readouterr().err.split())
    assert f"{path}: 'label' (2 row(s)) not read: text rows are pretrained on their text" in said
    mapping = "--set data.fields.question=text --set data.fields.answer=label"
    assert mapping in said
    # The mapping it names trains each label as the text's answer.
    read = load_examples(path, fields={"question": "text", "answer": "label"})
    assert [(e.question, e.answer) for e in read] == [
        ("Great product", "positive"),
        ("Broke in a day", "negative"),
    ]
    assert "not read" not in capsys.readouterr().err


def test_split_is_seeded_and_keeps_duplicates_on_one_side():
    examples = [Example.qa(f"q{i % 30}", f"a{i}") for i in range(60)]  # each question twice
    train, test = split_examples(examples, 0.2, seed=1)
    assert {e.question for e in train}.isdisjoint({e.question for e in test})
    assert len(test) == 12
    again, _ = split_examples(examples, 0.2, seed=1)
    assert [e.answer for e in again] == [e.answer for e in train]
    other, _ = split_examples(examples, 0.2, seed=2)
    assert [e.answer for e in other] != [e.answer for e in train]


def test_a_lone_question_is_never_all_held_out():
    # Every row asking one question (a style data set): holding it out left nothing to train.
    examples = [Example.qa("Tell me a joke.", f"Joke {i}.") for i in range(5)]
    for test_size in (2, 0.9):
        assert split_examples(examples, test_size, seed=0) == (examples, [])


def test_exact_duplicates_are_removed_before_split():
    examples = [Example.qa("same", "answer")] * 5 + [Example.qa(f"q{i}", "a") for i in range(5)]
    train, test = split_examples(examples, 0.0, seed=0)
    assert len(train) == 6 and not test


def test_a_question_is_the_same_whatever_its_sentence_marks_but_not_its_words_marks():
    from tunelab.data.question_keys import question_key

    assert question_key("Do I have to pay?") == question_key("do i have to pay")
    assert question_key("中国的首都，是哪里？") == question_key("中国的首都是哪里")
    assert question_key("Do I have to pay．") == question_key("do i have to pay")  # full-width
    assert question_key("क्या यह मुफ़्त है।") == question_key("क्या यह मुफ़्त है")
    for one, other in (
        ("What is C#?", "What is C?"),
        ("What is 50%?", "What is 50?"),
        ("What is 3.5?", "What is 35?"),
        ("max_new_tokens?", "max-new-tokens?"),
    ):
        assert question_key(one) != question_key(other)  # fmt: skip


def test_a_question_asked_with_other_punctuation_stays_on_its_side_of_the_split():
    examples = [Example.qa(f"question {i}?", "a") for i in range(20)]
    examples += [Example.qa(f"Question {i}", "b") for i in range(20)]  # the same 20, asked again
    train, test = split_examples(examples, 0.25, seed=0)
    asked = {e.question.lower().rstrip("?") for e in test}
    assert len(test) == 10 and not asked & {e.question.lower().rstrip("?") for e in train}


def test_a_separate_test_file_stays_unseen_by_training(tmp_path):
    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare
    from tunelab.models.random_weights import tiny_tokenizer

    train_rows = [{"question": f"q{i}", "answer": f"a{i}"} for i in range(6)]
    test_rows = [
        {"question": "Q1 ", "answer": "other"},
        {"question": "q9", "answer": "a9"},
        {"question": "q3??", "answer": "a3"},  # punctuation aside, as `data check` finds leaks
    ]
    for name, rows in (("train", train_rows), ("test", test_rows)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = DataConfig(path=str(tmp_path / "train.jsonl"), test_path=str(tmp_path / "test.jsonl"))

    data = prepare(config, tiny_tokenizer())
    # "q1" and "q3" are asked in the test file (case, spacing and punctuation aside): they are
    # not trained on.
    assert [e.question for e in data.train_examples] == ["q0", "q2", "q4", "q5"]
    assert "2 training examples asking a test question removed" in data.summary()

    kept = prepare(config.model_copy(update={"dedupe": False}), tiny_tokenizer())
    assert len(kept.train_examples) == 6


def test_openai_content_parts_are_joined(tmp_path):
    path = tmp_path / "chats.jsonl"
    turn = {
        "role": "user",
        "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}],
    }
    reply = {"role": "assistant", "content": [{"type": "text", "text": "Hello."}]}
    image = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x.png"}}]}
    path.write_text(
        json.dumps({"messages": [turn, reply]})
        + "\n"
        + json.dumps({"messages": [image, reply]})
        + "\n"
    )
    with pytest.raises(TunelabError, match=r"chats.jsonl:2: messages\[0\].content must be text"):
        load_examples(path)
    (example,) = load_examples(path, on_error="skip")
    assert (example.question, example.answer) == ("Hi there", "Hello.")


def test_documents_are_raw_text_for_continued_pretraining():
    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare
    from tunelab.data.tokenize import IGNORE
    from tunelab.models.random_weights import tiny_tokenizer

    docs = Path(__file__).parent / "fixtures" / "docs"
    examples = load_examples(docs)
    assert sorted(Path(e.source).name for e in examples) == [
        "export.pdf",
        "faq.html",
        "guide.md",
        "notes.txt",
    ]
    assert all(e.text.strip() for e in examples)
    guide = next(e for e in examples if e.source.endswith("guide.md"))
    assert guide.text == (docs / "guide.md").read_text()  # as written, headings and all

    config = DataConfig(path=str(docs / "guide.md"), max_length=32, test_size=0)
    data = prepare(config, tiny_tokenizer())
    assert len(data.train) > 1  # split into windows, nothing cut away
    assert all(label != IGNORE for item in data.train for label in item.labels)


def test_an_empty_document_among_others_is_skipped_with_a_warning(tmp_path, capsys):
    # It stopped the run as a data row would: "field 'text' is empty; fix the row".
    (tmp_path / "book.txt").write_text("The sky is blue. " * 20)
    (tmp_path / "blank.txt").write_text("  \n\n")
    [example] = load_examples(tmp_path, on_error="raise")
    assert example.source.endswith("book.txt")
    said = " ".join(capsys.readouterr().err.split())
    assert f"{tmp_path / 'blank.txt'}: an empty document (no text in it), skipped" in said

    with pytest.raises(TunelabError, match="blank.txt: an empty document.*put the text"):
        load_examples(tmp_path / "blank.txt")


def test_a_chat_ending_on_an_unanswered_turn_asks_what_its_last_reply_answers(tmp_path):
    # Its question was the unanswered last turn ("bye") and its answer the reply before it
    # ("Hello."): eval asked "bye" and scored the reply against "Hello.".
    path = tmp_path / "chats.jsonl"
    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]
    path.write_text(json.dumps({"messages": [*turns, {"role": "user", "content": "bye"}]}) + "\n")
    (example,) = load_examples(str(path))
    assert (example.question, example.answer) == ("Hi", "Hello.")


def test_a_mistyped_data_file_suggests_the_file_beside_it(tmp_path):
    (tmp_path / "test.jsonl").write_text('{"question": "q", "answer": "a"}\n')
    with pytest.raises(
        TunelabError, match=r"not found: .*tset.jsonl \(did you mean .*test.jsonl\?\)"
    ):
        load_examples(tmp_path / "tset.jsonl")
    # No file named alike: no name is guessed, the command that makes pairs is named instead.
    with pytest.raises(TunelabError, match=r"not found: .*other.jsonl \(no Q&A pairs yet\? `tun"):
        load_examples(tmp_path / "other.jsonl")
    # Files of one name, other suffixes: the suffix typed chooses (data.csv was named, whichever
    # the folder listed last).
    for suffix in (".csv", ".parquet", ".json"):
        (tmp_path / f"test{suffix}").write_text("")
    for typed, meant in (("test.josnl", "test.jsonl"), ("tset.cvs", "test.csv")):
        with pytest.raises(TunelabError, match=rf"\(did you mean .*/{meant}\?\)"):
            load_examples(tmp_path / typed)
    # A name typed in other capitals is meant as a model's or a run's is, case aside: TEST.jsonl
    # on a system whose names keep their case was told nothing.
    with pytest.raises(TunelabError, match=r"TEST.jsonl \(did you mean .*/test.jsonl\?\)"):
        load_examples(tmp_path / "TEST.jsonl")


@pytest.mark.parametrize(
    "line, said",
    [
        ('{"question": "q?", "answer": NaN}', "field 'answer' is empty (NaN)"),
        ('{"question": "q?", "answer": Infinity}', "field 'answer' is inf, no text"),
        ('{"question": NaN, "answer": "a"}', "field 'question' is empty (NaN)"),
    ],
)
def test_a_missing_value_written_as_nan_is_refused_not_trained_as_nan(tmp_path, line, said):
    # pandas writes a missing value as NaN (json.dumps keeps it): it was trained as "nan".
    path = tmp_path / "d.jsonl"
    path.write_text('{"question": "ok?", "answer": "yes"}\n' + line + "\n")
    with pytest.raises(TunelabError, match=rf"d.jsonl:2: {re.escape(said)}"):
        load_examples(path)
    # A float column's missing value in a datasets folder: the same.
    datasets = pytest.importorskip("datasets")
    rows = {"question": ["a?", "b?"], "answer": [1.5, float("nan")]}
    datasets.Dataset.from_dict(rows).save_to_disk(str(tmp_path / "saved"))
    with pytest.raises(TunelabError, match=r"saved.*field 'answer' is empty \(NaN\)"):
        load_examples(tmp_path / "saved")


@pytest.mark.parametrize("command", ["inspect", "check", "split", "augment"])
def test_a_data_commands_help_names_every_format_the_loader_reads(command):
    # It said "JSONL, JSON, CSV, Parquet" (split "Data file to split.", augment "Question/answer
    # file to augment."): a user with a TSV file, documents or a hub dataset read that those
    # were not taken.
    from typer.testing import CliRunner

    from tunelab.cli import app
    from tunelab.data.documents.sections import DOC_SUFFIXES
    from tunelab.data.files.read import DATA_SUFFIXES

    help_text = CliRunner().invoke(app, ["data", command, "--help"], terminal_width=250).output
    said = " ".join(help_text.replace("│", " ").split())
    for suffix in (*DATA_SUFFIXES, *DOC_SUFFIXES):
        assert re.search(rf"{re.escape(suffix)}\b", said), suffix
    assert "datasets.save_to_disk folder" in said and "a folder of these" in said
    assert "hf://org/name" in said
