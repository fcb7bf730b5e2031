"""`tunelab data check` with a test file: a test question also in train is contamination, named by
every train row it is in."""

from __future__ import annotations

import json

from tests.test_data_quality import FACTS, TINY, qa_rows, write_rows
from tunelab.data.quality.check import check_file
from tunelab.data.quality.report import to_markdown


def test_test_questions_found_in_train_are_contamination(tmp_path):
    train = write_rows(tmp_path / "train.jsonl", qa_rows(FACTS))
    test = write_rows(
        tmp_path / "test.jsonl",
        qa_rows([("how do I resume a stopped run", "x"), ("What is the default seed?", "42.")]),
    )
    report = check_file(train, test, TINY)
    assert [(p.first, p.second) for p in report.contamination] == [(1, 0)]
    assert "1 of 2 test rows leak into train" in to_markdown(report)
    assert report.removals()[1].startswith("leaks test row test.jsonl:1")


def test_a_test_question_in_train_twice_leaks_from_both_rows(tmp_path):
    # --fix must drop every train row the test question is in, or the leak stays.
    train_rows = qa_rows(FACTS) + qa_rows([(FACTS[1][0], "Start again with --resume.")])
    train = write_rows(tmp_path / "train.jsonl", train_rows)
    test = write_rows(tmp_path / "test.jsonl", qa_rows([(FACTS[1][0], "x"), ("???", "y")]))
    report = check_file(train, test, TINY)
    assert [(p.first, p.second) for p in report.contamination] == [(1, 0), (6, 0)]
    assert set(report.removals()) == {1, 6}
    assert "1 of 2 test rows leak into train" in to_markdown(report)
    assert "1 test question(s) also in train (contamination)" in report.warnings


def test_a_question_without_words_repeated_in_test_is_a_leak(tmp_path):
    train = write_rows(tmp_path / "train.jsonl", qa_rows(FACTS[:2] + [("???", "a")]))
    test = write_rows(tmp_path / "test.jsonl", qa_rows([("???", "b")]))
    assert [(p.first, p.second) for p in check_file(train, test, TINY).contamination] == [(2, 0)]


def test_a_test_question_with_a_word_or_two_added_or_left_out_is_a_leak(tmp_path):
    # After lamini_docs' own split, 6 of 143 test questions were a training one with "the ...
    # library" added or left out: check found 0 leaks, and the model was tested on trained rows.
    train = write_rows(
        tmp_path / "train.jsonl",
        qa_rows(
            FACTS
            + [
                ("Can the Lamini library generate code snippets from a given input?", "Yes."),
                ("Can I fine-tune Lamini on a dataset of support tickets?", "Yes."),
            ]
        ),
    )
    asked = [
        ("Can Lamini generate code snippets from a given input?", "Yes, it can."),
        ("Can I fine-tune Lamini on a large dataset of old support tickets?", "Yes."),
        ("Can I not fine-tune Lamini on a dataset of support tickets?", "You can."),
        ("Can Lamini generate unit tests from a given input?", "No."),
    ]
    report = check_file(train, write_rows(tmp_path / "test.jsonl", qa_rows(asked)), TINY)
    found = [(p.first, p.second, p.inside, p.quotes) for p in report.contamination]
    assert found == [(len(FACTS), 0, True, False), (len(FACTS) + 1, 1, False, True)]


def test_a_saved_dataset_dicts_own_test_split_is_checked_for_leaks(tmp_path):
    # Training holds out a DatasetDict's test split; check looked at its train split alone.
    import datasets

    import tunelab

    parts = {"train": qa_rows(FACTS), "test": qa_rows([(FACTS[1][0], "x"), ("???", "y")])}
    saved = tmp_path / "faq"
    datasets.DatasetDict({k: datasets.Dataset.from_list(v) for k, v in parts.items()}).save_to_disk(
        str(saved)
    )
    report = tunelab.data.check(saved, model="tiny-random")
    assert "1 of 2 test rows leak into train" in to_markdown(report)


def test_a_whole_saved_dataset_dict_as_the_test_set_is_its_test_split(tmp_path):
    # `--test faq` (check) and `test_path=faq` (split), the folder save_to_disk wrote, read its
    # 'train' split: check found every training row leaked, split held out rows trained on.
    import datasets

    import tunelab

    test = qa_rows([(FACTS[1][0], "x"), ("???", "y")])
    saved = tmp_path / "faq"
    datasets.DatasetDict(
        {
            "train": datasets.Dataset.from_list(qa_rows(FACTS)),
            "test": datasets.Dataset.from_list(test),
        }
    ).save_to_disk(str(saved))
    report = tunelab.data.check(saved, test=saved, model="tiny-random")
    assert "1 of 2 test rows leak into train" in to_markdown(report)
    split = tunelab.data.split(saved, tmp_path / "split", test_path=str(saved))
    assert [json.loads(line) for line in split["test"].open()] == test
