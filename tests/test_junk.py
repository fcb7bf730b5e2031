"""What `data check` calls junk or a restated question, and so `--fix` removes: only rows that
carry nothing, never a terse answer, a number or a line of code."""

from __future__ import annotations

import json

import tunelab
from tests.test_data_quality import TINY, write_rows
from tunelab.data.quality.check import check_file
from tunelab.data.quality.junk import junk_reason, repeats_question, typed_escapes


def test_a_negative_answer_to_a_yes_no_question_is_an_answer():
    # "--fix" removed these as restatements of their questions.
    assert not repeats_question("Does tunelab need a GPU?", "No, tunelab does not need a GPU.")
    assert not repeats_question("Can LoRA runs be resumed?", "No, LoRA runs cannot be resumed.")
    assert not repeats_question("Does it need a GPU?", "It doesn't need a GPU.")
    # A yes is as much the answer as a no: --fix removed 50 "Yes, ..." rows of lamini_docs and
    # kept every "No, ..." one, leaving its yes/no facts tilted to "no".
    assert not repeats_question("Does tunelab support LoRA?", "Yes, tunelab supports LoRA.")
    assert not repeats_question("Is Python dynamically typed?", "Yes, Python is dynamically typed.")
    # The question said again, its own "not" included, is no answer.
    assert repeats_question("Why does it not start?", "Why does it not start?")
    assert repeats_question("How do I install tunelab?", "To install tunelab, install tunelab.")
    # A phrase of what it asks, without the value asked for, is no answer either.
    asked = "What is the default learning rate used by tunelab for LoRA training?"
    assert repeats_question(asked, "The default learning rate.")


def test_an_answer_that_picks_from_the_question_is_an_answer():
    # All its words are the question's, yet it picks: extraction, choice, sorting.
    extract = "Extract the city from the text.\nI moved to Paris last year."
    assert not repeats_question(extract, "Paris")
    assert not repeats_question("Which is larger, 7 or 12?", "12")
    assert not repeats_question(
        "Sort these words alphabetically: pear, apple, fig", "apple, fig, pear"
    )
    choices = "Which gas do plants take in?\nA. oxygen\nB. carbon dioxide\nC. helium"
    assert not repeats_question(choices, "carbon dioxide")
    title = "Extract the title: My favourite book is The Old Man and the Sea."
    assert not repeats_question(title, "The Old Man and the Sea")
    # Choices inside the question itself, no colon or line before them.
    books = "Which did Hemingway write, The Old Man and the Sea or Moby Dick?"
    assert not repeats_question(books, "The Old Man and the Sea.")
    memory = "Should I use gradient checkpointing or a smaller batch size to save memory?"
    assert not repeats_question(memory, "A smaller batch size.")
    assert not repeats_question("Sort apple, fig and pear alphabetically.", "apple, fig, pear")


def test_numbers_and_code_are_text_and_encoded_blobs_are_not():
    assert junk_reason("84") is None
    assert junk_reason("3.14159 ≈ 22/7") is None
    one_liner = (
        'Use df.groupby("a").agg({"b":"sum"}).reset_index().sort_values("b",ascending=False)'
        ".head(10) in one line."
    )
    assert junk_reason(one_liner) is None
    assert junk_reason("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") is None
    assert junk_reason("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=" * 4).startswith("a 144-character run")
    assert junk_reason("x" * 90) and junk_reason("#$%^&*()!@" * 3) == "mostly non-letters"


def test_a_line_break_typed_as_backslash_n_is_found_and_code_that_means_it_is_not():
    # lamini_docs holds 9 such rows; the model learnt "\nBias" as the word "nbias".
    listed = "Lamini AI believes in:\\n1. Innovation.\\n2. Collaboration."
    assert typed_escapes(listed) == ["\\n", "\\n"]
    assert typed_escapes("Shipped by AT&amp;T, it&#39;s fast.") == ["&amp;", "&#39;"]
    # Code means the two characters: a `span`, a code block, a string literal.
    assert typed_escapes("Split lines with `text.split('\\n')`.") == []
    assert typed_escapes("```python\nprint('a\\tb')\n```") == []
    assert typed_escapes('Call lines.split("\\n") on it.') == []
    assert typed_escapes("Saved to C:\\Users\\new\\tunelab.") == []
    # Nor is LaTeX: MMLU's "\\times", "\\nabla" and "\\text" were flagged in 13 rows.
    assert typed_escapes("Find q = m \\times C \\times \\Delta T, and \\nabla f.") == []


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
    assert [typed_escapes(answer) for answer in written] == [[], [], []]
