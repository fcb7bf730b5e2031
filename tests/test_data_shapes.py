"""A data file whose rows mix two shapes (Q&A rows, then Alpaca rows; chats beside Q&A) is named
as such: the file, the first row of the other shape, both shapes by their columns, and the
setting that reads them as one, not "missing field 'question'" on a row that looks fine."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tunelab.data.load import grouped_rejects, load_examples, read_examples
from tunelab.errors import TunelabError

QA = [{"question": "What is the port?", "answer": "8080."}, {"question": "Q2?", "answer": "A2."}]
ALPACA = [
    {"instruction": "Name the port.", "output": "8080."},
    {"instruction": "I?", "output": "O."},
]
MAPPED = {"question": "instruction", "answer": "output"}  # what the error proposes


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _said(err: pytest.ExceptionInfo) -> str:
    return " ".join(str(err.value).split())


def test_alpaca_rows_after_qa_rows_are_named_with_both_shapes_and_the_fix(tmp_path):
    path = _jsonl(tmp_path / "train.jsonl", [*QA, *ALPACA])
    with pytest.raises(TunelabError) as err:
        load_examples(path)
    said = _said(err)
    assert said.startswith(f"{path}:3: this row is alpaca (instruction/output), but the rows")
    assert f"qa (question/answer, from {path}:1)" in said
    assert "--set data.fields.question=instruction --set data.fields.answer=output" in said
    assert "split the file" in said and "missing field" not in said
    # The setting it names reads every row, each in its own columns.
    read = load_examples(path, fields=MAPPED)
    assert [(e.question, e.answer) for e in read] == [
        ("What is the port?", "8080."),
        ("Q2?", "A2."),
        ("Name the port.", "8080."),
        ("I?", "O."),
    ]


def test_qa_rows_among_chats_are_named(tmp_path):
    chat = {
        "messages": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hi."}]
    }
    path = _jsonl(tmp_path / "chats.jsonl", [chat, chat, QA[0]])
    with pytest.raises(TunelabError) as err:
        load_examples(path)
    said = _said(err)
    assert f"{path}:3: this row is qa (question/answer)" in said
    assert f"messages (messages, from {path}:1)" in said and "split the file" in said


def test_a_table_of_both_column_pairs_is_read_by_the_cells_each_row_fills(tmp_path):
    # Every CSV row has every column: the first row's question/answer cells tell its shape (it
    # was read as alpaca, by the columns alone, and refused as "field 'instruction' is empty").
    path = tmp_path / "train.csv"
    path.write_text(
        "question,answer,instruction,output\nWhat is the port?,8080.,,\n,,Name the port.,8080.\n"
    )
    with pytest.raises(TunelabError) as err:
        load_examples(path)
    assert _said(err).startswith(f"{path}:3: this row is alpaca (instruction/output), but")
    assert len(load_examples(path, fields=MAPPED)) == 2


def test_a_parquet_file_names_the_row(tmp_path):
    path = tmp_path / "train.parquet"
    columns = {"question": ["Q1?", None], "answer": ["A1.", None], "output": [None, "O."]}
    pq.write_table(pa.table({**columns, "instruction": [None, "I?"]}), path)
    with pytest.raises(TunelabError, match=r"train.parquet:row 2: this row is alpaca"):
        load_examples(path)


def test_a_named_shape_the_rows_are_not_in_says_so(tmp_path):
    path = _jsonl(tmp_path / "train.jsonl", QA)
    with pytest.raises(TunelabError) as err:
        load_examples(path, shape="alpaca")
    said = _said(err)
    assert said.startswith(f"{path}:1: this row is qa (question/answer), but data.shape is alpaca")
    assert "leave data.shape auto" in said


def test_skipping_lists_the_other_shapes_rows_once_from_the_first(tmp_path):
    path = _jsonl(tmp_path / "train.jsonl", [*QA, *ALPACA])
    loaded = read_examples(path, on_error="skip")
    assert len(loaded.examples) == 2
    [said] = grouped_rejects(loaded.rejected)
    assert said.startswith(f"{path}:3 and 1 more row: this row is alpaca")


def test_a_qa_row_with_an_empty_cell_is_that_rows_own_problem(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("question,answer,instruction,output\nQ1?,A1.,,\nQ2?,,,\n")
    with pytest.raises(TunelabError, match=r"train.csv:3: field 'answer' is empty"):
        load_examples(path)
