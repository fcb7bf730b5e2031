"""`tunelab data check`: a row reworded (synonyms swapped, clauses reordered, fillers added, the
question asked another way over the same answer) is a near-duplicate, or across train and test a
leak, though its word shingles overlap little; two rows on one product's topic that state
different facts are neither. Rows as lamini_docs words them (benchmarks/dedup_recall.py measures
the same on the file itself)."""

from __future__ import annotations

from tests.test_data_quality import FACTS, TINY, qa_rows, write_rows
from tunelab.data.quality.check import check_file
from tunelab.data.quality.report import to_markdown

ROWS = [
    (
        "Can Lamini generate SQL queries from a description of the data I need?",
        "Yes, Lamini can generate SQL queries when you describe the tables and the result you "
        "want. Provide the schema in the prompt, and the model writes a query you can review "
        "before running it against your database.",
    ),
    (
        "Does Lamini support fine-tuning on documents in languages other than English?",
        "Lamini supports fine-tuning on multilingual documents. The base model decides how well "
        "each language is handled, so check the quality of the outputs in your language before "
        "relying on them in production.",
    ),
    (
        "How do I handle rate limit errors when calling the Lamini API?",
        "Rate limit errors mean too many requests were sent in a short period. Retry with "
        "exponential backoff, batch several prompts into one request, or contact support to "
        "raise the limit for your account.",
    ),
]
# Same topic, same product, another fact: never a repeat or a leak of ROWS[0].
PYTHON_CODE = (
    "Can Lamini generate Python code from a description of the function I need?",
    "Lamini can write Python functions from a docstring-like description. Give the expected "
    "inputs and outputs, and run the tests you already have on the generated function.",
)
# ROWS[0]'s answer reworded as a generator rewrites one: synonyms, its sentences turned round.
SQL_ANSWER = (
    "Provide the schema in the prompt, and the LLM writes a query you can review before running "
    "it against your database. Yes, Lamini can create SQL queries when you describe the tables "
    "and the result you want."
)


def test_a_test_row_asking_a_trained_fact_in_other_words_is_a_leak(tmp_path):
    # Shingles of the questions alone (Jaccard 0.5) found no leak: the model was scored on a
    # row it had trained on, and "finetuning learned my facts" read memory.
    train = write_rows(tmp_path / "train.jsonl", qa_rows(FACTS + ROWS))
    asked = "Quick question: can Lamini create SQL queries from a description of the data I need?"
    test = write_rows(tmp_path / "test.jsonl", qa_rows([(asked, SQL_ANSWER), PYTHON_CODE]))
    report = check_file(train, test, TINY)
    assert [(p.first, p.second, p.reworded) for p in report.contamination] == [(6, 0, True)]
    assert report.removals()[6] == ("leaks test row test.jsonl:1 (its answer, question reworded)")
    markdown = to_markdown(report)
    assert "1 of 2 test rows leak into train" in markdown
    assert "| 1 of 2 (question alike or quoted, or reworded with its answer) |" in markdown
    assert "drop the train rows they match (`--fix`) or move those rows to the test set" in markdown


def test_the_same_answer_asked_another_way_leaks_but_a_canned_reply_does_not(tmp_path):
    refusal = "Let's keep the discussion relevant to Lamini."
    train = write_rows(
        tmp_path / "train.jsonl",
        qa_rows(FACTS + ROWS + [("Why do we hiccup?", refusal), ("Can I eat rocks?", refusal)]),
    )
    asked = [
        ("Is it possible to deal with rate limit errors when I call the Lamini API?", ROWS[2][1]),
        ("What is the tallest mountain on Earth?", refusal),
    ]
    report = check_file(train, write_rows(tmp_path / "test.jsonl", qa_rows(asked)), TINY)
    assert [(p.first, p.second) for p in report.contamination] == [(8, 0)]


def test_a_reworded_row_is_a_near_duplicate_and_a_same_topic_row_is_not(tmp_path):
    asked = "Is Lamini able to generate SQL queries from a description of the data I need?"
    rows = qa_rows(FACTS + ROWS + [PYTHON_CODE, (asked, SQL_ANSWER)])
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert [(p.first, p.second, p.reworded) for p in report.near_dups] == [(6, 10, True)]
    assert report.removals() == {10: "near-duplicate (reworded) of d.jsonl:7"}
    assert "| d.jsonl:11 | reworded |" in to_markdown(report)


# A printer manual's options in template mode: each question answered with the option's
# description, then the value asked.
OPTIONS = [
    ("tear_offset", "how far the label is fed past the tear bar", "12 mm", "0 to 30 mm"),
    ("print_speed", "how fast the print head moves", "4 ips", "2 to 8 ips"),
    ("darkness", "how much heat the print head applies", "15", "0 to 30"),
    ("label_gap", "the gap the sensor expects between labels", "3 mm", "0 to 10 mm"),
    ("media_width", "the width of the loaded media", "100 mm", "25 to 108 mm"),
    ("sleep_timer", "how long the printer waits before sleeping", "10 minutes", "1 to 60 minutes"),
    ("backfeed", "how far the label is pulled back before printing", "5 mm", "0 to 20 mm"),
    ("buzzer_volume", "how loud the buzzer sounds", "3", "0 to 5"),
]


def test_an_options_default_and_its_range_are_two_facts_that_fix_keeps(tmp_path):
    rows = []
    for name, sets, default, ranges in OPTIONS:
        rows.append(
            (f"What is the default {name}?", f"{name} sets {sets}; its default is {default}.")
        )
        rows.append((f"What is the range of {name}?", f"{name} sets {sets}; it ranges {ranges}."))
    report = check_file(write_rows(tmp_path / "manual.jsonl", qa_rows(rows)), config=TINY)
    assert report.near_dups == [] and report.removals() == {}


def test_a_long_answer_with_another_number_is_no_near_duplicate(tmp_path):
    said = (
        "To replace the ribbon, open the top cover, lift the print head, slide the old ribbon "
        "off both spindles, thread the new one under the head and close the cover; the printer "
        "calibrates the ribbon sensor again and feeds {} labels."
    )
    asked = "What happens after I replace the ribbon on the LP-200 label printer?"
    rows = qa_rows(FACTS + [(asked, said.format(2)), (asked + " ", said.format(3))])
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert report.near_dups == [] and report.removals() == {}


def test_the_maximum_and_the_minimum_asked_of_one_range_are_two_questions(tmp_path):
    rows = []
    for name, sets, _, ranges in OPTIONS:
        said = f"{name} sets {sets}; it ranges {ranges}."
        rows += [(f"What is the maximum {name}?", said), (f"What is the minimum {name}?", said)]
    report = check_file(write_rows(tmp_path / "manual.jsonl", qa_rows(rows)), config=TINY)
    assert report.near_dups == []


def test_a_shared_instruction_naming_values_does_not_join_two_asked_values(tmp_path):
    # Every row carries one long instruction that names the default and the range; what tells
    # the rows apart is their input, as the near-duplicate pass reads it too.
    instruction = (
        "Answer the customer from the LP-200 printer manual: give the default, the range, the "
        "maximum or the minimum of the setting they ask about, in one sentence."
    )
    rows = []
    for name, sets, _, ranges in OPTIONS:
        said = f"{name} sets {sets}; it ranges {ranges}."
        for asked in (f"What is the maximum {name}?", f"What is the minimum {name}?"):
            rows.append({"instruction": instruction, "input": asked, "output": said})
    report = check_file(write_rows(tmp_path / "manual.jsonl", rows), config=TINY)
    assert report.near_dups == []
