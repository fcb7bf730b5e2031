"""pandas' row numbers are no column of the data: a frame's index, as to_csv, to_parquet,
Dataset.from_pandas and reset_index() keep it, is left out with a note; a column of that name
that holds text, or that data.fields names, is the user's and read."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tunelab.data.load import load_examples, read_examples

ROWS = [{"question": f"q{i}", "answer": f"a{i}"} for i in range(6)]


@pytest.mark.parametrize("fmt", ["parquet", "dataset", "csv"])
def test_a_filtered_pandas_frames_index_is_no_column_of_the_split(tmp_path, fmt, capsys):
    # pandas keeps a filtered frame's index as a column, which `data split` wrote into every row;
    # `df.to_csv(path)` writes any frame's, in a first column of no name.
    import datasets

    import tunelab

    frame = pd.DataFrame(ROWS)
    frame = frame[frame.index.isin([0, 2, 3])]  # row numbers 0, 2, 3: no longer a range
    path = tmp_path / f"data.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path)
    elif fmt == "csv":
        frame.to_csv(path)
    else:
        datasets.Dataset.from_pandas(frame).save_to_disk(str(path))
    tunelab.data.split(path, tmp_path / "split", test_size=1)
    written = [json.loads(line) for part in ("train", "test")
               for line in (tmp_path / "split" / f"{part}.jsonl").open()]  # fmt: skip
    assert sorted(row["question"] for row in written) == ["q0", "q2", "q3"]
    assert all(sorted(row) == ["answer", "question"] for row in written)
    if fmt == "csv":
        said = " ".join(capsys.readouterr().err.split())
        assert "the unnamed first column holds row numbers (pandas' index" in said


def test_a_csv_column_of_no_name_that_holds_text_is_read(tmp_path):
    # Only row numbers are pandas' index: text under an empty header is the user's own.
    path = tmp_path / "notes.csv"
    path.write_text(",question,answer\nfrom the FAQ,q0,a0\n")
    rows = read_examples(path).rows
    assert rows == [{"": "from the FAQ", "question": "q0", "answer": "a0"}]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_reset_indexs_column_of_row_numbers_is_no_column_of_the_split(tmp_path, fmt, capsys):
    # df.reset_index() keeps the old row numbers as a column "index", which `data split` wrote
    # into every row of train.jsonl and test.jsonl.
    import tunelab

    frame = pd.DataFrame(ROWS).sample(frac=1, random_state=0).reset_index()  # shuffled
    assert list(frame.columns) == ["index", "question", "answer"]
    path = tmp_path / f"data.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    tunelab.data.split(path, tmp_path / "split", test_size=1)
    written = [json.loads(line) for part in ("train", "test")
               for line in (tmp_path / "split" / f"{part}.jsonl").open()]  # fmt: skip
    assert sorted(row["question"] for row in written) == [f"q{i}" for i in range(6)]
    assert all(sorted(row) == ["answer", "question"] for row in written)
    said = " ".join(capsys.readouterr().err.split())
    assert (
        f"note: {path}: 'index' holds row numbers (pandas' index, which df.reset_index() keeps "
        "as a column 'index' unless drop=True), not data: left out"
    ) in said


def test_an_index_column_of_the_users_own_is_read(tmp_path):
    # Text, numbers that repeat (no row numbers), or the column data.fields reads: kept.
    path = tmp_path / "legs.csv"
    path.write_text("index,question,answer\nch. 1,q0,a0\n2,q1,a1\n")
    assert [row["index"] for row in read_examples(path).rows] == ["ch. 1", "2"]
    path.write_text("index,question,answer\n1,q0,a0\n1,q1,a1\n")
    assert [row["index"] for row in read_examples(path).rows] == ["1", "1"]
    path.write_text("question,index\nLegs of a spider?,8\nOf a cat?,4\nOf an ant?,6\n")
    examples = load_examples(path, fields={"answer": "index"})
    assert [e.answer for e in examples] == ["8", "4", "6"]


def test_the_row_numbers_note_wraps_at_words_on_a_narrow_terminal(tmp_path, capsys, monkeypatch):
    # One soft-wrapped line had a 40-column terminal split "pandas'" or "index" at its edge.
    from tunelab.data.files.file_text import console

    monkeypatch.setattr(console, "width", 40)
    path = tmp_path / "data.csv"
    pd.DataFrame(ROWS).to_csv(path)
    assert len(read_examples(path).rows) == len(ROWS)
    lines = capsys.readouterr().err.splitlines()
    # Words stay whole: a line is wider only where it is one word, the path (it pastes whole).
    assert all(len(line) <= 40 or " " not in line for line in lines) and len(lines) > 3
    said = " ".join(lines)
    assert said.startswith(f"note: {path}: the unnamed first column holds row numbers")
