"""A test file's facts are read as written: a fact with no alternatives or a misnamed column is
refused by row, facts in a CSV cell are read, and a fact the question says itself is named."""

import csv

import pytest

from tunelab.data.files.file_text import DataError
from tunelab.evaluate.facts.score import parse_fact_check, read_fact_checks, score_facts


def test_a_fact_with_no_alternatives_is_refused_when_the_file_is_read(tmp_path):
    with pytest.raises(DataError, match=r"t.jsonl:3: fact 2 is an empty list"):
        parse_fact_check({"facts": [["CPU"], []]}, "t.jsonl:3")
    path = tmp_path / "test.jsonl"
    path.write_text('{"question": "q", "answer": "a", "facts": [[]]}\n')
    with pytest.raises(DataError, match=rf"{path}:1: fact 1 is an empty list"):
        read_fact_checks(path)


def test_facts_in_a_csv_cell_are_read_and_a_misnamed_column_is_refused(tmp_path):
    # A CSV cell holds text: its facts were refused as "not lists". A "fact" column was read as
    # nothing, and the row scored by its wording alone.
    table = tmp_path / "test.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "answer", "facts", "wrong"])
        writer.writerow(["Need a GPU?", "No, the CPU is enough.", '[["CPU"]]', '["yes"]'])
    (check,) = read_fact_checks(table).values()
    assert score_facts("It runs on the CPU.", check) == {
        "fact_recall": 1.0, "fact_accuracy": 1.0, "hallucination": 0.0,
    }  # fmt: skip
    with pytest.raises(DataError, match=r"test.csv:2: 'facts' is not a JSON list"):
        parse_fact_check({"facts": "[[CPU]]"}, "test.csv:2")
    with pytest.raises(DataError, match="x.jsonl:3: column 'fact' is read as nothing"):
        parse_fact_check({"fact": [["CPU"]]}, "x.jsonl:3")


def test_a_fact_the_question_says_itself_is_named_and_the_demo_has_none(tmp_path):
    from tunelab.data.load import load_examples
    from tunelab.evaluate.facts.score_notes import echo_note, echoed_facts

    test = tmp_path / "t.jsonl"
    test.write_text(
        '{"question": "Does tunelab read Parquet files?", "answer": "Yes.", "facts": [["Parquet"]]}\n'
        '{"question": "Which port?", "answer": "8080.", "facts": [["8080"]]}\n'
    )
    asked = {ex.source: ex.question for ex in load_examples(test)}
    echoed = echoed_facts(asked, read_fact_checks(test))
    assert echoed == [f"{test}:1"]
    assert echo_note(echoed).startswith("1 test row with a fact its own question says")
    demo = "tunelab/demo/tunelab_qa_test.jsonl"
    asked = {ex.source: ex.question for ex in load_examples(demo)}
    assert echoed_facts(asked, read_fact_checks(demo)) == []  # "broken line": "line" was one
