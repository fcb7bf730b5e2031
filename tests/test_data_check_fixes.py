"""Defects found in review of the data path: each test shows the behaviour a user relies on."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.data.file_text import DataError
from tunelab.data.load import load_examples, read_examples
from tunelab.data.quality.check import check_file, write_clean
from tunelab.data.quality.findings import QualityConfig
from tunelab.data.sections import document_text, read_sections
from tunelab.data.write import split_file, write_jsonl
from tunelab.errors import TunelabError
from tunelab.evaluate.bench.tasks import get_task
from tunelab.evaluate.bench.tasks.base import Doc

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


@pytest.mark.parametrize("name", ["notes.txt", "notes.md"])
def test_a_byte_order_mark_opening_a_document_is_not_trained_as_text(tmp_path, name):
    path = tmp_path / name
    path.write_bytes("\ufeff# Cats\n\nCats purr.\n".encode())
    assert document_text(path) == "# Cats\n\nCats purr.\n"
    assert not any("\ufeff" in s.text for s in read_sections(path))


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_a_csv_is_read_with_the_delimiter_it_uses(tmp_path, delimiter):
    # Each cell holds the other delimiters, and one its own (quoted), as real files do.
    rows = [("question", "answer"), ("What is a mark?", "One of , ; | and tabs\t."),
            (f"Why{delimiter}then?", "It splits cells.")]  # fmt: skip
    path = tmp_path / "d.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    examples = load_examples(path)
    assert [(e.question, e.answer) for e in examples] == rows[1:]


def test_a_semicolon_csv_with_one_bad_row_names_that_row(tmp_path):
    # One unquoted ";" in a value made the delimiter a comma (the rows no longer agreed), and a
    # good row with a decimal comma was named: "d.csv:2: more fields than the header has".
    path = tmp_path / "d.csv"
    path.write_text("question;answer\nWhat is 1,5?;One and a half\nWhere?;Here; there\n")
    loaded = read_examples(path)
    assert [(e.question, e.answer) for e in loaded.examples] == [("What is 1,5?", "One and a half")]
    assert loaded.rejected == [f"{path}:3: more fields than the header has"]


def test_a_csv_header_with_spaces_after_its_commas_names_its_columns(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("question, answer\nWhat is space?, A gap.\n", encoding="utf-8")
    (example,) = load_examples(path)
    assert (example.question, example.answer) == ("What is space?", "A gap.")


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_jsonl_line_cut_short_is_reported_where_it_ends(tmp_path, line_end):
    cut = '{"question": "What is it?", "answer": "A thing."'  # no closing brace
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"question": "q", "answer": "a"}) + line_end + cut + line_end)
    (error,) = read_examples(path).rejected
    assert error == f"{path}:2: not valid JSON (Expecting ',' delimiter, column {len(cut) + 1})"


def harness_mc2(labels: list[int], lls: list[float]) -> float:
    """lm-evaluation-harness's process_results_mc2 as 0.4.13 (mc2 version 3.0) writes it: the
    probability share of every answer labelled 1."""
    probs = np.exp(np.array(lls))
    return float(probs[np.array(labels) == 1].sum() / probs.sum())


def test_truthfulqa_mc2_counts_a_true_answer_after_a_false_one_as_the_harness_does():
    # As items 164 and 607 of mc_task.json: a true answer listed after the first false one. The
    # harness before mc2 v3.0 counted it as false (0.3 here); 0.4.13 counts it true (0.6).
    labels = [1, 1, 0, 1, 0]
    lls = [float(np.log(p)) for p in (0.1, 0.2, 0.15, 0.3, 0.25)]
    doc = Doc("Q: ?\nA:", ["t1", "t2", "f1", "t3", "f2"], gold=0, labels=labels)
    acc = get_task("truthfulqa_mc2").score(doc, lls)["acc"]
    assert acc == pytest.approx(harness_mc2(labels, lls)) == pytest.approx(0.6)


def test_truthfulqa_mc2_agrees_with_the_installed_harness():
    installed = pytest.importorskip("lm_eval.tasks.truthfulqa.utils")
    labels = [1, 1, 0, 1, 0]
    lls = [float(np.log(p)) for p in (0.1, 0.2, 0.15, 0.3, 0.25)]
    doc = Doc("Q: ?\nA:", ["t1", "t2", "f1", "t3", "f2"], gold=0, labels=labels)
    acc = get_task("truthfulqa_mc2").score(doc, lls)["acc"]
    theirs = installed.process_results_mc2(
        {"mc2_targets": {"labels": labels}}, [(x, False) for x in lls]
    )
    assert acc == pytest.approx(theirs["acc"])


def test_a_saved_dataset_dict_says_which_split_it_read_and_names_them_without_train(
    tmp_path, capsys
):
    import datasets

    rows = {"question": ["Q1?", "Q2?"], "answer": ["A1.", "A2."]}
    both = datasets.DatasetDict(
        train=datasets.Dataset.from_dict(rows), test=datasets.Dataset.from_dict(rows)
    )
    both.save_to_disk(str(tmp_path / "both"))
    assert len(load_examples(tmp_path / "both")) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "read its split 'train'; not test" in said and str(tmp_path / "both" / "test") in said
    assert len(load_examples(tmp_path / "both" / "test")) == 2  # a split is a folder of its own
    # Without "train", it trained on the first split (validation) without a word.
    no_train = datasets.DatasetDict(
        validation=datasets.Dataset.from_dict(rows), test=datasets.Dataset.from_dict(rows)
    )
    no_train.save_to_disk(str(tmp_path / "no_train"))
    with pytest.raises(TunelabError, match="holds the splits validation, test and no 'train'"):
        load_examples(tmp_path / "no_train")


def test_a_quote_never_closed_is_an_error_at_its_row_not_the_rest_of_the_file_in_one_cell(tmp_path):
    # The lenient reader read rows 3-5 into the first answer and said nothing.
    path = tmp_path / "d.csv"
    path.write_text('question,answer\nQ1?,"Unterminated answer\nQ2?,A2\nQ3?,A3\nQ4?,A4\n')
    with pytest.raises(DataError, match=r"d\.csv:2: a quoted field opens on this line and never"):
        load_examples(str(path))
    tsv = tmp_path / "d.tsv"  # after a field the reader reads leniently, as before
    tsv.write_text(
        'question\tanswer\nWhat did he say?\t"Hello," he said.\nQ2?\t"5 inches\nQ3?\tA\n'
    )
    with pytest.raises(DataError, match=r"d\.tsv:3: a quoted field opens"):
        load_examples(str(tsv))
    # Text after a closing quote, a quote inside a field that does not start with one, a quoted
    # field over two lines: read as the csv module always read them, the file not refused.
    fine = tmp_path / "ok.csv"
    fine.write_text(
        'question,answer\nHow big?,"5"" screen"\nAnd the other?,7" screen\n"What is 2+2" ok,4\n'
        'Lines?,"one\ntwo"\n'
    )
    answers = [e.answer for e in load_examples(str(fine))]
    assert answers == ['5" screen', '7" screen', "4", "one\ntwo"]
    # A quote left open that a later row's own quoted cell "closes": two rows became one, its
    # question holding the next row's, with no word (a walk's CSV scored 11 of its 12 rows).
    merged = tmp_path / "m.csv"
    merged.write_text(
        'question,answer\nQ1?,A1\n"Unterminated,Q2?,A2\nQ3?,"The seed is 42, by default."\nQ4?,A4\n'
    )
    with pytest.raises(DataError, match=r"m\.csv:3: a quoted field opens on this line and "
                       r"closes only on line 4, with more text right after it"):  # fmt: skip
        load_examples(str(merged))


def test_a_short_csv_row_lacks_a_cell_not_a_null(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("question,answer,system\nQ1?,A1\nQ2?\n")
    data = read_examples(str(path))
    assert [e.answer for e in data.examples] == ["A1"]  # the system cell it lacks is optional
    assert data.rejected == [f"{path}:3: field 'answer' is empty"]


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


def test_columns_of_no_known_shape_are_not_a_row_to_skip(tmp_path):
    # "--on-error skip" would skip every row: the fix is the columns' mapping, as it says.
    path = tmp_path / "d.jsonl"
    write_jsonl([{"foo": "Q?", "bar": "A"}], path)
    with pytest.raises(DataError) as refused:
        load_examples(str(path), on_error="raise")
    # The setting that works, with the file's own two columns in it.
    assert "--set data.fields.question=foo --set data.fields.answer=bar" in str(refused.value)
    assert "on-error" not in str(refused.value) and "on_error" not in str(refused.value)


def test_every_row_of_unmapped_columns_is_one_reason_not_one_line_each(tmp_path):
    # `data check` listed "cannot tell the data shape" 120 times, then diversity 1.000 and empty
    # tables of no rows.
    from tunelab.data.quality.check import check_file
    from tunelab.data.quality.report import sections

    path = tmp_path / "d.jsonl"
    write_jsonl([{"Query": f"Q{i}?", "Response": "A"} for i in range(30)], path)
    report = check_file(path)
    titles = [s.title for s in sections(report)]
    assert titles == ["Summary", "Warnings", "Rows the loader rejects"]
    rejects = next(s for s in sections(report) if s.title.startswith("Rows")).rows
    assert rejects == [[f"{path}:1 and 29 more rows: cannot tell the data shape from columns "
                        "['Query', 'Response']; expected one of messages, instruction/output, "
                        "question/answer, prompt/completion, text (map your "
                        "columns: --set data.fields.question=Query --set "
                        "data.fields.answer=Response, or data: {fields: ...} in a config file)"]]  # fmt: skip


def test_a_column_mapped_to_another_field_moves_and_exact_repeats_are_exact(tmp_path):
    from tunelab.data.load import load_examples
    from tunelab.data.quality.check import check_file
    from tunelab.data.split import drop_duplicates, duplicate_key
    from tunelab.data.templates import Example

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
    from tunelab.data import write

    data = tmp_path / "qa.jsonl"
    write_jsonl([{"question": f"q{i}?", "answer": f"a{i}"} for i in range(20)], data)
    out = tmp_path / "out"
    split_file(data, out, test_size=0.2, seed=1, near=None)
    before = {name: (out / name).read_text() for name in ("train.jsonl", "test.jsonl")}
    real = write.write_jsonl

    def cut_at_second(rows, path):
        if "test" in Path(path).name:
            raise KeyboardInterrupt
        return real(rows, path)

    monkeypatch.setattr(write, "write_jsonl", cut_at_second)
    with pytest.raises(KeyboardInterrupt):
        split_file(data, out, test_size=0.2, seed=2, near=None, overwrite=True)
    assert {p.name: p.read_text() for p in out.iterdir()} == before
