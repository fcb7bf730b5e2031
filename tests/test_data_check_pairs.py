"""`tunelab data check`'s duplicate and leak tables show both rows of each pair, one above the
other, cut where they part ("same text" where they do not), and a check of documents speaks of
texts, not questions."""

from __future__ import annotations

import io

from rich.console import Console

from tests.test_data_quality import FACTS, TINY, qa_rows, write_rows
from tunelab.data.quality.check import check_file
from tunelab.data.quality.report import print_report, to_markdown

LONG = "Is it possible to fine-tune the model on a specific dataset for dialogue generation"


def test_a_near_duplicate_is_shown_beside_the_row_it_repeats_from_where_they_part(tmp_path):
    # Alike in their first 70 characters, the two questions read as one when cut at the start.
    rows = qa_rows(
        FACTS
        + [
            (f"{LONG} tasks?", "Yes, fine-tune it on your dialogue data with tunelab train."),
            (f"{LONG}?", "Yes, fine-tune it on your dialogue data with tunelab train."),
            (FACTS[0][0], FACTS[0][1]),
        ]
    )
    report = check_file(write_rows(tmp_path / "train.jsonl", rows), config=TINY)
    markdown = to_markdown(report).split("## Duplicates")[1].split("##")[0]
    assert "| train.jsonl:9 | exact | What does the packing option do? |" in markdown
    assert "| same as train.jsonl:1 |  | same text |" in markdown
    near = next(line for line in markdown.splitlines() if line.startswith("| train.jsonl:8 |"))
    kept = next(line for line in markdown.splitlines() if "same as train.jsonl:7" in line)
    assert near.endswith("…on a specific dataset for dialogue generation? |")
    assert kept.endswith("…on a specific dataset for dialogue generation tasks? |")
    # In a 100-column terminal each pair is two lines of the table, a rule under them.
    terminal = Console(file=io.StringIO(), width=100)
    print_report(report, terminal)
    shown = terminal.file.getvalue()
    assert max(len(line) for line in shown.splitlines()) <= 100
    table = shown.split("Duplicates")[1]
    assert table.index("train.jsonl:9") < table.index("same as train.jsonl:1") < table.index("├")


def test_a_leak_shows_the_test_question_under_the_train_row_it_is_in(tmp_path):
    train = write_rows(tmp_path / "train.jsonl", qa_rows(FACTS))
    test = write_rows(
        tmp_path / "test.jsonl",
        qa_rows([("how do I resume a stopped run", "x"), ("What is the default seed?", "42.")]),
    )
    markdown = to_markdown(check_file(train, test, TINY))
    assert (
        "| train.jsonl:2 | 1.00 | How do I resume a stopped run? |\n"
        "| test.jsonl:1 |  | how do I resume a stopped run |"
    ) in markdown


def test_a_question_answered_two_ways_shows_both_answers_to_keep_one(tmp_path):
    rows = qa_rows(FACTS + [("how do i resume a stopped run", "Delete the run folder.")])
    markdown = to_markdown(check_file(write_rows(tmp_path / "train.jsonl", rows), config=TINY))
    assert (
        "| train.jsonl:7 | how do i resume a stopped run | Delete the run folder. |\n"
        f"| same as train.jsonl:2 |  | {FACTS[1][1]} |"
    ) in markdown


def test_a_near_duplicate_asked_alike_shows_where_its_answer_parts(tmp_path):
    saved = "Under runs/<name>/model as safetensors next to the tokenizer, one file per adapter"
    rows = qa_rows(
        [*FACTS, ("Where are my adapters saved?", f"{saved}, with its config beside it.")]
        + [("Where are my adapters saved?", f"{saved}, with its config beside them.")]
    )
    markdown = to_markdown(check_file(write_rows(tmp_path / "train.jsonl", rows), config=TINY))
    assert (
        "| train.jsonl:8 | 0.91 | Where are my adapters saved? answer: …with its config beside "
        "them. |\n| same as train.jsonl:7 |  | same question, answer: …with its config beside it. |"
    ) in markdown


def test_a_check_of_documents_speaks_of_texts_not_questions(tmp_path):
    # Continued pretraining: "question distinct-2" of documents, which ask nothing, and an
    # "answers distinct" of 1.000 for answers they do not have.
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("intro", "guide", "faq"):
        (docs / f"{name}.md").write_text(
            f"# {name}\n\nThe {name} says how the machine starts when the red button is pressed.",
            encoding="utf-8",
        )
    report = check_file(docs, config=TINY)
    markdown = to_markdown(report)
    assert sorted(report.distinct) == ["texts distinct-1", "texts distinct-2"]
    assert "| origin | rows | flagged | text distinct-2 | top opening share |" in markdown
    assert "question" not in markdown.split("## Contamination")[0]
    assert "## Length in tokens (tiny-random)" in markdown  # counted as written, in no template
