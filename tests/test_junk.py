"""What `data check` calls junk or a restated question, and so `--fix` removes: only rows that
carry nothing, never a terse answer, a number or a line of code."""

from __future__ import annotations

from tunelab.data.quality.junk import junk_reason, repeats_question


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


def test_an_acronym_with_one_more_letter_is_a_new_word_not_a_plural():
    # "HTTPS" was stemmed to "http", so the answer said nothing new: template mode dropped the
    # label printer manual's "Plain HTTP on port 80 redirects to HTTPS." as a restated question.
    asked = "What does plain HTTP on port 80 redirect to?"
    assert not repeats_question(asked, "Plain HTTP on port 80 redirects to HTTPS.")
    assert repeats_question("What does the HTTP API return?", "The HTTP APIs return.")  # a plural


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
