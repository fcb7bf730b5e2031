"""No data is lost without a word: every file of a folder is read or named as skipped, a huge text
row is tokenized in bounded memory, and an output that cannot be written is a one-line error."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.data.example import Example
from tunelab.data.files.write_files import write_jsonl
from tunelab.data.load import load_examples
from tunelab.data.tokenize import (
    Tokenized,
    chunk_text,
    text_windows,
    tokenize_all,
    tokenize_example,
)
from tunelab.data.write_split import split_file
from tunelab.errors import TunelabError
from tunelab.models.random_weights import tiny_tokenizer

QA = [{"question": f"q{i}", "answer": f"a{i}"} for i in range(10)]


def mixed_folder(root: Path, document: bool) -> Path:
    """a.jsonl (10 Q&A rows), sub/d.csv (3 more), c.bin, and b.md when `document`."""
    folder = root / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in QA))
    rows = [{"question": f"csv q{i}", "answer": f"csv a{i}"} for i in range(3)]
    pd.DataFrame(rows).to_csv(folder / "sub" / "d.csv", index=False)
    (folder / "c.bin").write_bytes(b"\x00\x01")
    if document:
        (folder / "b.md").write_text("# Notes\n\nSome prose to pretrain on.\n")
    return folder


def test_a_folder_loads_every_data_file_and_names_what_it_skipped(tmp_path, capsys):
    examples = load_examples(mixed_folder(tmp_path, document=False))
    assert sorted(e.question for e in examples) == sorted(
        [r["question"] for r in QA] + [f"csv q{i}" for i in range(3)]
    )
    report = capsys.readouterr().err
    assert "a.jsonl" in report and "d.csv" in report
    assert "c.bin" in report and "unsupported extension '.bin'" in report


def test_a_folder_mixing_documents_and_qa_files_is_refused_by_name(tmp_path, capsys):
    folder = mixed_folder(tmp_path, document=True)
    with pytest.raises(TunelabError) as caught:
        load_examples(folder)
    message = str(caught.value)
    for named in ("a.jsonl: qa", "d.csv: qa", "b.md: text"):
        assert named in message
    assert "c.bin" in capsys.readouterr().err  # the skipped file is still reported


def test_split_of_a_folder_keeps_every_row(tmp_path):
    train, test, _ = split_file(
        mixed_folder(tmp_path, document=False), tmp_path / "out", 3, near=None
    )
    lines = train.read_text().splitlines() + test.read_text().splitlines()
    assert len(lines) == 13


def test_long_text_windows_equal_the_whole_text_windows():
    tokenizer = tiny_tokenizer()
    example = Example(text="Plain  words, and more words.\n" * 40, source="t.txt")
    ids = tokenizer(example.text + tokenizer.eos_token).input_ids  # the whole text at once
    whole = chunk_text(Tokenized(ids, list(ids)), 64)
    assert tokenize_example(example, tokenizer).input_ids == ids
    for piece_chars in (10_000, 37):  # one piece, and many pieces cut between words
        lazy = list(text_windows(example, tokenizer, 64, piece_chars=piece_chars))
        assert [(w.input_ids, w.labels) for w in lazy] == [(w.input_ids, w.labels) for w in whole]


def test_a_raw_texts_special_token_text_is_said_and_read_as_characters_when_asked(tmp_path):
    # tunelab's README, which examples/pretrain_text.yaml trains on, names "<|im_end|>": read as
    # the end-of-turn token, it taught the model to stop mid-document, and nothing said so.
    tokenizer = tiny_tokenizer()
    text = "A chat turn ends with <|im_end|> in ChatML."
    example = Example(text=text, source="README.md")
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    as_token, report = tokenize_all([example], tokenizer, max_length=512)
    assert as_token[0].input_ids.count(end) == 2  # in the text, and the EOS after it
    assert "1 texts holding a special token's text (README.md: '<|im_end|>')" in report.summary()
    assert "data.special_tokens_in_text=text" in report.summary()
    as_text, report = tokenize_all(
        [example], tokenizer, max_length=512, special_tokens_in_text="text"
    )
    assert as_text[0].input_ids.count(end) == 1  # the EOS after the text, a token still
    assert tokenizer.decode(as_text[0].input_ids[:-1]) == text
    assert "special token" not in report.summary()
    plain, report = tokenize_all([Example(text="No marks here.", source="a.txt")], tokenizer)
    assert "special token" not in report.summary()


def test_a_text_of_megabytes_is_tokenized_in_bounded_memory():
    tokenizer = tiny_tokenizer()  # one token per byte: 2 MB of text is 2 M tokens
    example = Example(text="lorem ipsum dolor sit amet " * 80_000, source="big.txt")
    tracemalloc.start()
    try:
        tokens = sum(len(w.input_ids) for w in text_windows(example, tokenizer, 512))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert tokens >= len(example.text)
    # A list of every token id alone would take 8 bytes a token; windows come a piece at a time.
    assert peak < 8 * tokens / 4


def test_writing_under_a_file_or_into_a_folder_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "plain.txt"
    blocker.write_text("x")
    with pytest.raises(TunelabError, match="plain.txt"):
        write_jsonl([{"a": 1}], blocker / "rows.jsonl")
    with pytest.raises(TunelabError, match="plain.txt"):
        split_file(mixed_folder(tmp_path, document=False), blocker, near=None)


def test_data_generate_onto_a_folder_or_under_a_file_names_the_path(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("# Title\n\nThe sky is blue because air scatters blue light.\n")
    blocker = tmp_path / "plain.txt"
    blocker.write_text("x")
    for output in (tmp_path, blocker / "qa.jsonl"):
        result = CliRunner().invoke(app, ["data", "generate", str(doc), "-o", str(output)])
        assert isinstance(result.exception, TunelabError), result.output
        assert str(output) in str(result.exception)
