"""The demo data set (tunelab/demo/tunelab_qa_*.jsonl) keeps the shape the demo relies on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

DEMO_DIR = Path(__file__).resolve().parent.parent / "tunelab" / "demo"
TRAIN = DEMO_DIR / "tunelab_qa_train.jsonl"
TEST = DEMO_DIR / "tunelab_qa_test.jsonl"
REFUSAL = "I can only answer questions about tunelab."


def _load(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            assert line.strip(), f"{path.name}:{number}: blank line"
            row = json.loads(line)
            assert isinstance(row, dict), f"{path.name}:{number}: not a JSON object"
            rows.append(row)
    return rows


def _norm(text: str) -> str:
    """Case-, punctuation- and whitespace-insensitive form of a question."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


@pytest.fixture(scope="module")
def train() -> list[dict]:
    return _load(TRAIN)


@pytest.fixture(scope="module")
def test() -> list[dict]:
    return _load(TEST)


def test_counts(train, test):
    assert 840 <= len(train) <= 900
    assert 60 <= len(test) <= 80
    kinds = [row["kind"] for row in test]
    assert set(kinds) == {"paraphrase", "off_topic"}
    assert 50 <= kinds.count("paraphrase") <= 60
    assert 15 <= kinds.count("off_topic") <= 20
    off_topic_train = sum(row["answer"] == REFUSAL for row in train)
    assert 60 <= off_topic_train <= 75


def test_fields_are_non_empty_strings(train, test):
    for name, rows, keys in (
        ("train", train, {"question", "answer"}),
        ("test", test, {"question", "answer", "kind"}),
    ):
        for i, row in enumerate(rows, start=1):
            assert set(row) - {"facts", "wrong"} == keys, f"{name}:{i}: keys {sorted(row)}"
            for key in keys:
                assert isinstance(row[key], str) and row[key].strip(), f"{name}:{i}: empty {key}"


def test_train_questions_are_unique(train):
    questions = [_norm(row["question"]) for row in train]
    assert len(questions) == len(set(questions))


def test_no_test_question_in_train(train, test):
    seen = {_norm(row["question"]) for row in train}
    leaked = [row["question"] for row in test if _norm(row["question"]) in seen]
    assert not leaked


def test_no_train_question_is_a_near_copy_of_a_test_question(train, test):
    # The test measures new wordings: a training question sharing most of a test question's
    # words (ignoring order) would make it a memory test.
    def words(text: str) -> set[str]:
        return set(_norm(text.replace("What's", "What is")).split())

    close = [
        (row["question"], t["question"])
        for row in train
        for t in test
        if len(words(row["question"]) & words(t["question"]))
        >= 0.6 * len(words(row["question"]) | words(t["question"]))
    ]
    assert not close


def test_paraphrase_answers_are_trained(train, test):
    trained = {row["answer"] for row in train}
    missing = [
        row["question"]
        for row in test
        if row["kind"] == "paraphrase" and row["answer"] not in trained
    ]
    assert not missing


def test_off_topic_answers_are_the_refusal(test):
    for row in test:
        if row["kind"] == "off_topic":
            assert row["answer"] == REFUSAL, row["question"]
        else:
            assert row["answer"] != REFUSAL, row["question"]


def test_each_fact_has_several_phrasings(train):
    counts: dict[str, int] = {}
    for row in train:
        counts[row["answer"]] = counts.get(row["answer"], 0) + 1
    facts = {answer: n for answer, n in counts.items() if answer != REFUSAL}
    assert 110 <= len(facts) <= 130
    # Several phrasings per fact: a small model states a fact for a new wording only when it was
    # trained on diverse wordings of it (Allen-Zhu & Li, Physics of Language Models 3.1).
    assert all(5 <= n <= 7 for n in facts.values()), {
        a: n for a, n in facts.items() if not 5 <= n <= 7
    }


def test_every_on_topic_test_row_names_its_facts_and_its_reference_states_them(test):
    from tunelab.evaluate.facts import parse_fact_check, score_facts

    for i, row in enumerate(test, start=1):
        check = parse_fact_check(row, f"test:{i}")
        assert bool(check.facts) == (row["kind"] == "paraphrase"), f"test:{i}"
        if check:
            scores = score_facts(row["answer"], check)
            assert scores["fact_accuracy"] == 1.0 and not scores.get("hallucination"), f"test:{i}"


def test_answers_are_short(train, test):
    for row in train + test:
        assert len(row["answer"].split()) <= 30, row["answer"]


# Correct answers worded unlike their reference, as a careful grader credits them: a row's
# facts name the fact, not the reference's wording of it.
CREDITED_REWORDINGS = [
    ("What kinds of model names does tunelab understand?",
     "Embedded SmolLM2, HF hub ids or folders, and run directories."),
    ("Where does the final adapter end up after training?", "It is saved to runs/<name>/model."),
    ("Where does the final adapter end up after training?", "In the run's model subfolder."),
    ("How much dropout does the LoRA adapter use by default?", "Dropout is .05 by default."),
    ("How long is the learning rate warmup by default?", "A warmup ratio of .05."),
    ("What share of my examples is kept aside for evaluation?", "A test_size of .1."),
    ("Can training stop on its own when the eval loss stops improving?",
     "Yes, enable early stopping."),
]  # fmt: skip


@pytest.mark.parametrize("question, answer", CREDITED_REWORDINGS)
def test_a_correct_answer_worded_unlike_the_reference_is_credited(test, question, answer):
    from tunelab.evaluate.facts import parse_fact_check, score_facts

    (row,) = [row for row in test if row["question"] == question]
    assert score_facts(answer, parse_fact_check(row, question))["fact_accuracy"] == 1.0


# What a right value's neighbours say is no statement of it.
NOT_CREDITED = [
    ("How much dropout does the LoRA adapter use by default?", "Dropout is 1.05 by default."),
    ("What share of my examples is kept aside for evaluation?", "A test_size of 10.1."),
    ("Where does the final adapter end up after training?",
     "The final weights are cached in ~/.cache/tunelab; set TUNELAB_CACHE to change it."),
    ("Where does the final adapter end up after training?", "Set model.name to a local folder."),
]  # fmt: skip


@pytest.mark.parametrize("question, answer", NOT_CREDITED)
def test_a_wrong_answer_near_the_fact_is_not_credited(test, question, answer):
    from tunelab.evaluate.facts import parse_fact_check, score_facts

    (row,) = [row for row in test if row["question"] == question]
    assert score_facts(answer, parse_fact_check(row, question))["fact_accuracy"] == 0.0
