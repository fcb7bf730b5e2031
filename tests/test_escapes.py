"""Escapes typed into text (a line break written as the two characters \\n): what `data check`
names, what `--fix` mends, and what it leaves: code, and a \\n the text speaks of."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import tunelab
from tests.test_data_quality import TINY, write_rows
from tunelab.cli import app
from tunelab.data.quality.check import check_file
from tunelab.data.quality.escapes import row_escapes


def test_a_line_break_typed_as_backslash_n_is_found_and_code_that_means_it_is_not():
    # lamini_docs holds 9 such rows; the model learnt "\nBias" as the word "nbias".
    listed = "Lamini AI believes in:\\n1. Innovation.\\n2. Collaboration."
    assert row_escapes([listed]).typed == ["\\n", "\\n"]
    assert row_escapes(["Shipped by AT&amp;T, it&#39;s fast."]).typed == ["&amp;", "&#39;"]
    # Code means the two characters: a `span`, a code block, a string literal.
    assert row_escapes(["Split lines with `text.split('\\n')`."]).typed == []
    assert row_escapes(["```python\nprint('a\\tb')\n```"]).typed == []
    assert row_escapes(['Call lines.split("\\n") on it.']).typed == []
    assert row_escapes(["Saved to C:\\Users\\new\\tunelab."]).typed == []
    # Nor is LaTeX: MMLU's "\\times", "\\nabla" and "\\text" were flagged in 13 rows.
    assert row_escapes(["Find q = m \\times C \\times \\Delta T, and \\nabla f."]).typed == []


def test_data_check_names_the_rows_with_typed_escapes_and_what_to_do(tmp_path):
    rows = [
        {"question": "What does Lamini value?", "answer": "Two things:\\n1. Speed.\\n2. Care."},
        {"question": "How do I split lines?", "answer": "Use `text.split('\\n')`."},
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert list(report.escapes) == [0]
    warning = next(w for w in report.warnings if "escapes typed as text" in w)
    assert "d.jsonl:1" in warning and "a line break for \\n" in warning


def test_data_check_fix_writes_typed_line_breaks_as_line_breaks_and_leaves_code(tmp_path):
    # It gave a sed command to run by hand; the rows it names are mended in the -o file now.
    rows = [
        {"question": "What does Lamini value?", "answer": "Two things:\\n1. Speed.\\n2. Care."},
        {"question": "Who ships it?", "answer": "AT&amp;T ships it.\\nUse `split('\\n')` on it."},
        {"question": "How do I split lines?", "answer": "Use `text.split('\\n')`."},
    ]
    clean = tmp_path / "clean.jsonl"
    report = tunelab.data.check(
        write_rows(tmp_path / "d.jsonl", rows), model="tiny-random", fix=True, output=clean
    )
    written = [json.loads(line)["answer"] for line in clean.read_text("utf-8").splitlines()]
    assert written == [
        "Two things:\n1. Speed.\n2. Care.",
        "AT&T ships it.\nUse `split('\\n')` on it.",  # in code the two characters are meant
        "Use `text.split('\\n')`.",
    ]
    assert not report.dropped
    assert [row_escapes([answer]).typed for answer in written] == [[], [], []]


def test_a_line_break_the_text_speaks_of_is_left_as_written_and_said_to_be(tmp_path):
    # "Use \n to start a new line" was mended into a line break, corrupting a row that
    # explains escapes; a typed one is glued to the text beside it ("line.\nOn Windows").
    rows = [
        {
            "question": "How do I start a new line in a Python string?",
            "answer": "Use \\n to start a new line, and \\t for a tab.",
        },
        {
            "question": "How do I read a log file line by line?",
            "answer": "Read the whole file and split on \\n. Each item is one line.",
        },
        {
            "question": "What ends a line?",
            "answer": "The character \\n ends a line.\\nOn Windows a line ends with \\r\\n.",
        },
        {"question": "What does Lamini value?", "answer": "Two things:\\n1. Speed. \\n 2. Care."},
    ]
    clean = tmp_path / "clean.jsonl"
    report = tunelab.data.check(
        write_rows(tmp_path / "d.jsonl", rows), model="tiny-random", fix=True, output=clean
    )
    written = [json.loads(line)["answer"] for line in clean.read_text("utf-8").splitlines()]
    assert written == [
        "Use \\n to start a new line, and \\t for a tab.",
        "Read the whole file and split on \\n. Each item is one line.",
        "The character \\n ends a line.\nOn Windows a line ends with \\r\\n.",
        "Two things:\n1. Speed. \n 2. Care.",  # between spaces, it still opens a list item
    ]
    assert list(report.escapes) == [2, 3]
    assert report.escapes_left == {
        0: "1 \\n, 1 \\t read as mentions, left",
        1: "1 \\n read as a mention, left",
        2: "2 \\n, 1 \\r read as mentions, left",  # the \n glued to "On" mended
    }
    warning = next(w for w in report.warnings if "escapes typed as text" in w)
    assert "it leaves (3 row(s), under Content problems)" in warning, warning


def test_a_typed_quote_is_mended_where_its_row_was_escaped_twice_and_left_where_alone(tmp_path):
    rows = [
        # JSON written into JSON: its line breaks typed, its quotes too.
        {"question": "How do I greet?", "answer": 'Two steps:\\n1. Say \\"hello\\".\\n2. Wave.'},
        # A row about JSON, whose \" is what it shows: no other escape typed in it.
        {
            "question": "How is a quote written inside a JSON string?",
            "answer": 'With a backslash before it: {"name": "Ada \\"the Countess\\""}.',
        },
    ]
    clean = tmp_path / "clean.jsonl"
    report = tunelab.data.check(
        write_rows(tmp_path / "d.jsonl", rows), model="tiny-random", fix=True, output=clean
    )
    written = [json.loads(line)["answer"] for line in clean.read_text("utf-8").splitlines()]
    assert written == [
        'Two steps:\n1. Say "hello".\n2. Wave.',
        'With a backslash before it: {"name": "Ada \\"the Countess\\""}.',
    ]
    assert report.escapes == {0: ["\\n", "\\n", '\\"', '\\"']}
    assert report.escapes_left == {1: '2 \\" with no other escape typed in the row, left'}


def test_rows_left_as_written_past_the_listed_content_problems_are_named_in_the_warning(tmp_path):
    # Content problems lists 10 rows, those whose escapes --fix leaves last: in a larger file
    # they fell under "22 more not listed" while the warning said "under Content problems".
    typed = [
        {
            "question": f"What are the steps of plan {i}?",
            "answer": f"Steps:\\n1. Go {i}.\\n2. Stop.",
        }
        for i in range(30)
    ]
    mentions = [
        {"question": "How do I break a line?", "answer": "Type \\n where it breaks."},
        {"question": "What makes a tab?", "answer": "Type \\t for a tab."},
    ]
    data = write_rows(tmp_path / "d.jsonl", typed + mentions)
    warning = next(w for w in check_file(data, config=TINY).warnings if "escapes typed" in w)
    assert (
        "it leaves (2 row(s), under Content problems past the 10 rows it lists: d.jsonl:31, "
        "d.jsonl:32; `--set max_listed=32` lists them all)"
    ) in warning
    # As the warning says: with 32 listed, the table names them and the warning need not.
    every = check_file(data, config=TINY.model_copy(update={"max_listed": 32}))
    assert "it leaves (2 row(s), under Content problems)" in " ".join(every.warnings)
    # --fix's summary names them too, rather than "(listed above)".
    fix = ["--model", "tiny-random", "--fix", "-o", str(tmp_path / "clean.jsonl")]
    said = " ".join(CliRunner().invoke(app, ["data", "check", str(data), *fix]).output.split())
    assert "left the escapes of 2 row(s) as written: d.jsonl:31, d.jsonl:32" in said, said
