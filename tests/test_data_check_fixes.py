"""Defects found in review of the data path: each test shows the behaviour a user relies on."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.data.files.write_files import write_jsonl
from tunelab.data.load import load_examples, read_examples
from tunelab.data.quality.check import check_file, write_clean
from tunelab.data.quality.findings import QualityConfig
from tunelab.data.write_split import split_file
from tunelab.errors import TunelabError

TINY = QualityConfig(model="tiny-random")


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def chat(*turns: str) -> dict:
    """A chat row from alternating user / assistant contents."""
    roles = ("user", "assistant")
    return {"messages": [{"role": roles[i % 2], "content": t} for i, t in enumerate(turns)]}


CATS = chat("Tell me about cats.", "Cats purr.", "Why?", "I do not know.")
ROCKETS = chat("Tell me about rockets.", "Rockets fly.", "Why?", "I do not know.")
HELLO = chat("Hello there", "Hi.")
CATS_TURNS = [m["content"] for m in CATS["messages"]]


def test_chats_that_end_alike_but_start_apart_are_not_duplicates(tmp_path):
    data = write_rows(tmp_path / "chat.jsonl", [CATS, ROCKETS, HELLO, CATS, HELLO])
    report = check_file(data, config=TINY)
    assert [(p.first, p.second) for p in report.exact_dups] == [(0, 3), (2, 4)]
    assert report.conflicts == []
    drops = write_clean(report, tmp_path / "out.jsonl", fix=True, scrub=False)
    assert set(drops) == {3, 4}
    kept = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert kept == [CATS, ROCKETS, HELLO]


def test_a_chat_leaks_into_test_only_when_its_whole_prompt_is_there(tmp_path):
    train = write_rows(tmp_path / "train.jsonl", [CATS, HELLO])
    test = write_rows(
        tmp_path / "test.jsonl",
        [
            {"question": "Tell me about cats.", "answer": "Cats purr."},
            {"question": "Why?", "answer": "x"},
        ],
    )
    report = check_file(train, test, TINY)
    assert report.contamination == []
    same_chat = write_rows(tmp_path / "same.jsonl", [chat(*CATS_TURNS[:3], "No idea.")])
    assert [(p.first, p.second) for p in check_file(train, same_chat, TINY).contamination] == [
        (0, 0)
    ]


def test_a_chat_opening_with_its_only_reply_is_a_row_error_with_its_line(tmp_path):
    rows = [HELLO, {"messages": [{"role": "assistant", "content": "Hello, I am a bot."}]}, HELLO]
    data = write_rows(tmp_path / "chat.jsonl", rows)
    with pytest.raises(TunelabError, match="chat.jsonl:2: messages has no assistant turn after"):
        load_examples(data)
    assert len(load_examples(data, on_error="skip")) == 2
    assert len(read_examples(data).rejected) == 1


def test_a_bad_row_s_hint_names_what_skips_it_in_the_command_at_hand(tmp_path):
    data = write_rows(
        tmp_path / "d.jsonl", [{"question": "q", "answer": "a"}, {"question": "q2", "answer": ""}]
    )
    runner = CliRunner()
    split = runner.invoke(app, ["data", "split", str(data), "-o", str(tmp_path / "out")])
    assert "d.jsonl:2: field 'answer' is empty" in str(split.exception)
    assert "--on-error skip" in str(split.exception)
    assert "data.on_error" not in str(split.exception)
    # `data facts` has the option too (lamini_docs' row 424 stopped it for good), and so has
    # eval (tests/test_eval_bad_rows.py); neither names training's data.on_error.
    out = str(tmp_path / "f.jsonl")
    facts = runner.invoke(app, ["data", "facts", str(data), "-o", out])
    assert "d.jsonl:2: field 'answer' is empty; fix the row" in str(facts.exception)
    assert "--on-error skip" in str(facts.exception)
    facts = runner.invoke(app, ["data", "facts", str(data), "-o", out, "--on-error", "skip"])
    assert facts.exit_code == 0 and len(Path(out).read_text().splitlines()) == 1, facts.output
    evaluated = runner.invoke(app, ["eval", "tiny-random", "--data", str(data)])
    assert "d.jsonl:2: field 'answer' is empty; fix the row" in str(evaluated.exception)
    assert "--on-error skip" in str(evaluated.exception)
    assert "data.on_error" not in str(evaluated.exception)


def test_dates_of_a_parquet_file_are_written_as_iso_text(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    created = [datetime(2024, 1, d) for d in range(1, 11)]
    table = pa.table(
        {"question": [f"Q{i}?" for i in range(10)], "answer": [f"A{i}" for i in range(10)],
         "created": created, "day": [c.date() for c in created]}
    )  # fmt: skip
    pq.write_table(table, tmp_path / "d.parquet")
    train, test, _ = split_file(tmp_path / "d.parquet", tmp_path / "out", test_size=0.2, near=None)
    rows = [json.loads(line) for part in (train, test) for line in part.read_text().splitlines()]
    assert sorted((r["created"], r["day"]) for r in rows) == [
        (c.isoformat(), c.date().isoformat()) for c in created
    ]


def test_numpy_numbers_and_arrays_are_written_as_numbers_and_lists(tmp_path):
    # A data set saved in NumPy format gives arrays: `.item()` on one raised a ValueError.
    out = tmp_path / "n.jsonl"
    row = {"score": np.float32(0.5), "n": np.int64(3), "day": datetime(2024, 1, 2),
           "tags": np.array([1, 2]), "when": np.datetime64("2024-01-02T00:00:00")}  # fmt: skip
    write_jsonl([row], out)
    assert json.loads(out.read_text()) == {
        "score": 0.5, "n": 3, "day": "2024-01-02T00:00:00", "tags": [1, 2],
        "when": "2024-01-02T00:00:00",
    }  # fmt: skip


def test_a_write_that_fails_midway_leaves_no_file_behind(tmp_path):
    def rows():
        yield {"question": "q", "answer": "a"}
        raise TunelabError("stopped")

    out = tmp_path / "out.jsonl"
    with pytest.raises(TunelabError, match="stopped"):
        write_jsonl(rows(), out)
    assert list(tmp_path.iterdir()) == []
    out.write_text("kept\n")
    with pytest.raises(TunelabError):
        write_jsonl(rows(), out)
    assert out.read_text() == "kept\n"  # an earlier good file is not replaced by half of one
    assert list(tmp_path.iterdir()) == [out]


def test_an_empty_reply_mid_chat_is_a_row_error_naming_its_turn(tmp_path):
    # It was trained as a bare end-of-turn: the model learned to stop at once after that message.
    chat = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": " "},
        {"role": "user", "content": "Is it on?"},
        {"role": "assistant", "content": "Yes."},
    ]
    path = tmp_path / "chat.jsonl"
    write_jsonl([{"messages": chat}, {"messages": chat[2:]}], path)
    data = read_examples(str(path))
    assert len(data.examples) == 1
    assert data.rejected == [f"{path}:1: messages[1] is an empty assistant turn"]


def test_a_column_mapped_to_another_field_moves_and_exact_repeats_are_exact(tmp_path):
    from tunelab.data.example import Example
    from tunelab.data.load import load_examples
    from tunelab.data.quality.check import check_file
    from tunelab.data.question_keys import drop_duplicates, duplicate_key

    # `input` mapped to the instruction was read as Alpaca's input too: "Q1?\n\nQ1?".
    rows = tmp_path / "io.jsonl"
    rows.write_text('{"input": "Q1?", "output": "A1."}\n')
    [example] = load_examples(rows, fields={"instruction": "input"})
    assert example.question == "Q1?" and not example.input
    # Answers differing in case or line breaks are different answers, not repeats.
    code = tmp_path / "code.jsonl"
    code.write_text(
        '{"question": "f?", "answer": "def f():\\n    return 1"}\n'
        '{"question": "f?", "answer": "def f(): return 1"}\n'
        '{"question": "Is it?", "answer": "True"}\n{"question": "Is it?", "answer": "true"}\n'
        '{"question": "Is it?", "answer": "True "}\n'
    )
    kept, removed = drop_duplicates(load_examples(code))
    assert (len(kept), removed) == (4, 1)
    assert duplicate_key(Example.qa("Is it?", "True")) != duplicate_key(
        Example.qa("Is it?", "true")
    )
    # `data check` counts (and --fix drops) the repeats split drops, no more: it lowered the
    # answers' case, calling "True" and "true" one row.
    report = check_file(code, config=TINY)
    assert [(p.first, p.second) for p in report.exact_dups] == [(2, 4)]


def test_split_with_a_test_file_drops_training_rows_asking_its_questions_and_says_so(tmp_path):
    data, test = tmp_path / "d.jsonl", tmp_path / "t.jsonl"
    write_jsonl([{"question": f"q{i}?", "answer": f"a{i}"} for i in range(6)] * 2, data)
    write_jsonl([{"question": "q0?", "answer": "a0"}, {"question": "q1?", "answer": "a1"}], test)
    train, held, said = split_file(data, tmp_path / "out", test_path=str(test), near=None)
    assert len(train.read_text().splitlines()) == 4 and len(held.read_text().splitlines()) == 2
    assert said == [
        "6 exact duplicates removed",
        f"2 training rows asking a question of {test} removed",
    ]
    # Every row asking a test question: an error, as training gives (it wrote an empty
    # train.jsonl and exited 0).
    with pytest.raises(TunelabError, match=r"no training row left: 0 exact duplicates removed; "
                       r"2 training rows asking a question of"):  # fmt: skip
        split_file(test, tmp_path / "self", test_path=str(test), near=None)
    assert not (tmp_path / "self" / "train.jsonl").exists()
    # The command takes the test file as an option of its own (--help named test_path, which
    # only --set could give).
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        app, ["data", "split", str(data), "--test-path", str(test), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "test.jsonl").read_text() == test.read_text()
    assert len((out / "train.jsonl").read_text().splitlines()) == 4


def test_an_empty_row_the_loader_rejects_is_counted_among_the_empty_ones(tmp_path):
    # The summary read "empty / restated / junk rows 0 / 0 / 0" for a file with an empty answer.
    from tunelab.data.quality.check import check_file
    from tunelab.data.quality.report import sections

    path = tmp_path / "d.jsonl"
    write_jsonl([{"question": "Q?", "answer": "A."}, {"question": "R?", "answer": ""}], path)
    summary = dict(map(tuple, sections(check_file(path))[0].rows))
    assert summary["empty / restated / junk rows"] == "0 (+1 rejected by the loader) / 0 / 0"


def test_split_and_check_fix_never_replace_a_file_unasked(tmp_path):
    rows = [
        {"question": f"What is fact {i}?", "answer": f"Fact {i} is {i * 7}."} for i in range(10)
    ]
    data = write_rows(tmp_path / "train.jsonl", rows)
    runner = CliRunner()
    # `-o` onto the input's own folder would replace the file being split with its training part.
    onto_input = runner.invoke(app, ["data", "split", str(data), "-o", str(tmp_path)])
    assert "train.jsonl is the data being read" in str(onto_input.exception)
    onto_input = runner.invoke(
        app, ["data", "split", str(data), "-o", str(tmp_path), "--overwrite"]
    )
    assert "train.jsonl is the data being read" in str(onto_input.exception)
    assert len(data.read_text().splitlines()) == 10
    out = tmp_path / "out"
    assert runner.invoke(app, ["data", "split", str(data), "-o", str(out)]).exit_code == 0
    (out / "test.jsonl").write_text("a reviewed file\n")
    again = runner.invoke(app, ["data", "split", str(data), "-o", str(out)])
    assert "train.jsonl exists: pass --overwrite" in str(again.exception)
    assert (out / "test.jsonl").read_text() == "a reviewed file\n"
    again = runner.invoke(app, ["data", "split", str(data), "-o", str(out), "--overwrite"])
    assert again.exit_code == 0 and len(load_examples(out / "test.jsonl")) == 1

    check = ["data", "check", str(data), "--model", "tiny-random", "--fix", "-o"]
    clean = tmp_path / "clean.jsonl"
    clean.write_text("kept\n")
    assert "clean.jsonl exists" in str(runner.invoke(app, [*check, str(clean)]).exception)
    assert clean.read_text() == "kept\n"
    assert runner.invoke(app, [*check, str(clean), "--overwrite"]).exit_code == 0
    assert len(load_examples(clean)) > 1  # the cleaned rows (--fix drops near-duplicates)
    in_place = runner.invoke(app, [*check, str(data), "--overwrite"])
    assert "train.jsonl is the data being read" in str(in_place.exception)
    with pytest.raises(TunelabError, match="clean.jsonl exists"):
        write_clean(check_file(data, config=TINY), clean, fix=True, scrub=False)


def test_a_split_cut_short_leaves_both_files_as_they_were(tmp_path, monkeypatch):
    # A Ctrl-C after train.jsonl was written left it new beside the old test.jsonl: with
    # --overwrite, a training set and the test set of another split (its rows leaked).
    from tunelab.data import write_split

    data = tmp_path / "qa.jsonl"
    write_jsonl([{"question": f"q{i}?", "answer": f"a{i}"} for i in range(20)], data)
    out = tmp_path / "out"
    split_file(data, out, test_size=0.2, seed=1, near=None)
    before = {p.name: p.read_text() for p in out.iterdir()}  # split.json too: the record
    assert sorted(before) == ["split.json", "test.jsonl", "train.jsonl"]
    real = write_split.write_jsonl

    def cut_at_second(rows, path):
        if "test" in Path(path).name:
            raise KeyboardInterrupt
        return real(rows, path)

    monkeypatch.setattr(write_split, "write_jsonl", cut_at_second)
    with pytest.raises(KeyboardInterrupt):
        split_file(data, out, test_size=0.2, seed=2, near=None, overwrite=True)
    assert {p.name: p.read_text() for p in out.iterdir()} == before
