"""The demo data set (tunelab/demo/tunelab_qa_*.jsonl) keeps the shape the demo relies on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

DEMO_DIR = Path(__file__).resolve().parent.parent / "tunelab" / "demo"
TRAIN = DEMO_DIR / "tunelab_qa_train.jsonl"
TEST = DEMO_DIR / "tunelab_qa_test.jsonl"
COMBINE = DEMO_DIR / "tunelab_qa_combine.jsonl"
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
    """Case-, punctuation- and whitespace-insensitive form of a question ("max_new_tokens" and
    "--max-new-tokens" are one name)."""
    return " ".join(re.sub(r"[^\w\s]|_", " ", text.lower()).split())


def _facts(train: list[dict]) -> list[list[dict]]:
    """The on-topic rows of each fact, in file order. Rows with one answer are one fact, and a
    fact's rows take its wordings in turn (A, B, C, A, ...), so the rows between two rows with
    one answer, at most three apart, give the same fact's other wordings (a fact's rows need
    not be next to each other)."""
    answers = [row["answer"] for row in train]
    fact_of = {answer: answer for answer in answers if answer != REFUSAL}

    def root(answer: str) -> str:
        while fact_of[answer] != answer:
            answer = fact_of[answer]
        return answer

    for i, answer in enumerate(answers):
        if answer != REFUSAL and answer in answers[i + 1 : i + 4]:
            for between in answers[i + 1 : answers.index(answer, i + 1)]:
                if between != REFUSAL:
                    fact_of[root(between)] = root(answer)
    facts: dict[str, list[dict]] = {}
    for row in train:
        if row["answer"] != REFUSAL:
            facts.setdefault(root(row["answer"]), []).append(row)
    return list(facts.values())


def _wordings(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(row["answer"] for row in rows))


@pytest.fixture(scope="module")
def train() -> list[dict]:
    return _load(TRAIN)


@pytest.fixture(scope="module")
def test() -> list[dict]:
    return _load(TEST)


@pytest.fixture(scope="module")
def combine() -> list[dict]:
    return _load(COMBINE)


@pytest.fixture(scope="module")
def held_out(test, combine) -> list[dict]:
    return test + combine


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


def test_no_test_question_in_train(train, held_out):
    seen = {_norm(row["question"]) for row in train}
    leaked = [row["question"] for row in held_out if _norm(row["question"]) in seen]
    assert not leaked


def test_no_train_question_is_a_near_copy_of_a_test_question(train, held_out):
    # The test measures new wordings: a training question sharing most of a test question's
    # words (ignoring order) would make it a memory test.
    def words(text: str) -> set[str]:
        return set(_norm(text.replace("What's", "What is")).split())

    close = [
        (row["question"], t["question"])
        for row in train
        for t in held_out
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


def test_each_fact_has_several_phrasings_and_one_to_three_answer_wordings(train):
    facts = _facts(train)
    assert 110 <= len(facts) <= 130
    # Several phrasings per fact, and several wordings of its answer: a small model states a
    # fact for a new wording only when it was trained on diverse wordings of it (Allen-Zhu & Li,
    # Physics of Language Models 3.1, "knowledge augmentation").
    assert all(5 <= len(rows) <= 7 for rows in facts), [
        rows[0]["answer"] for rows in facts if not 5 <= len(rows) <= 7
    ]
    for rows in facts:
        wordings = _wordings(rows)
        assert 1 <= len(wordings) <= 3, wordings
        turns = [wordings[i % len(wordings)] for i in range(len(rows))]
        assert [row["answer"] for row in rows] == turns, "a fact's rows take its wordings in turn"


def _derived(train: list[dict]) -> list[tuple[list[dict], list, list[list]]]:
    """Each fact's rows, the facts `tunelab data facts` proposes from its first wording (the
    test's reference) as if every row of the fact gave it, and each row's wrong answers."""
    from tunelab.evaluate.facts.propose_file import propose_rows

    facts = _facts(train)
    first = {id(row): rows[0]["answer"] for rows in facts for row in rows}
    single = [{**row, "answer": first.get(id(row), row["answer"])} for row in train]
    proposed = dict(zip(map(id, train), propose_rows(single)[0]))
    out = []
    for rows in facts:
        derived = [f for row in rows for f in proposed[id(row)].get("facts", [])]
        derived = [f for i, f in enumerate(derived) if f not in derived[:i]]
        out.append((rows, derived, [proposed[id(row)].get("wrong", []) for row in rows]))
    return out


def test_every_wording_of_a_fact_states_the_facts_derived_from_its_first_wording(train):
    from tunelab.evaluate.facts.score import parse_fact_check, score_facts

    for rows, derived, wrongs in _derived(train):
        for row, wrong in zip(rows, wrongs):
            check = parse_fact_check({**row, "facts": derived, "wrong": wrong}, row["question"])
            for wording in _wordings(rows):
                scores = score_facts(wording, check)
                assert scores.get("fact_accuracy", 1.0) == 1.0, (wording, derived)
                assert not scores.get("hallucination"), (row["question"], wording)


def test_the_wordings_of_a_fact_name_the_same_values_flags_paths_and_names(train):
    from tunelab.evaluate.facts.specific_terms import specific_terms
    from tunelab.evaluate.facts.stated import Words, states

    for rows in _facts(train):
        wordings = _wordings(rows)
        terms = dict.fromkeys(t for wording in wordings for t in specific_terms(wording))
        for wording in wordings:
            # "a GPU is not needed" names the GPU as "does not need a GPU" does.
            missing = [t for t in terms if not states(wording, Words(t), negations=False)]
            assert not missing, (wording, missing)


def test_every_wording_of_a_tested_fact_states_the_test_rows_facts(train, test):
    from tunelab.evaluate.facts.score import parse_fact_check, score_facts

    wordings_of = {w: _wordings(rows) for rows in _facts(train) for w in _wordings(rows)}
    for i, row in enumerate(test, start=1):
        if row["kind"] != "paraphrase":
            continue
        check = parse_fact_check(row, f"test:{i}")
        for wording in wordings_of[row["answer"]]:
            scores = score_facts(wording, check)
            assert scores["fact_accuracy"] == 1.0, (row["question"], wording)
            assert not scores.get("hallucination"), (row["question"], wording)


# A question that opens with, or turns to, a question word asks for more than yes or no.
_OPEN_QUESTION = re.compile(r"(?:^|[;,:]\s*)(?:what|how|where|which|when|why|who)\b", re.I)


def test_only_a_yes_no_question_is_answered_yes_or_no(train):
    wrong = [
        (row["question"], row["answer"])
        for row in train
        if re.match(r"\W*(?:yes|no)\b", row["answer"], re.I)
        and _OPEN_QUESTION.search(row["question"])
    ]
    assert not wrong


def test_every_on_topic_test_row_names_its_facts_and_its_reference_states_them(test):
    from tunelab.evaluate.facts.score import parse_fact_check, score_facts

    for i, row in enumerate(test, start=1):
        check = parse_fact_check(row, f"test:{i}")
        assert bool(check.facts) == (row["kind"] == "paraphrase"), f"test:{i}"
        if check:
            scores = score_facts(row["answer"], check)
            assert scores["fact_accuracy"] == 1.0 and not scores.get("hallucination"), f"test:{i}"


def test_combined_questions_need_trained_facts_and_their_references_state_them(train, combine):
    # A miss on these measures combining or reversing what was learned, never a fact not taught.
    from tunelab.evaluate.facts.score import (
        facts_stated,
        parse_fact_check,
        score_facts,
        shown_phrase,
    )

    kinds = [row["kind"] for row in combine]
    assert set(kinds) == {"two_facts", "reverse"}
    assert all(20 <= kinds.count(kind) <= 28 for kind in set(kinds))
    trained = [row["answer"] for row in train if row["answer"] != REFUSAL]
    for i, row in enumerate(combine, start=1):
        check = parse_fact_check(row, f"combine:{i}")
        # A bridge (one fact names what the other is about) is scored by the fact it ends at.
        assert len(check.facts) <= (2 if row["kind"] == "two_facts" else 1), f"combine:{i}"
        scores = score_facts(row["answer"], check)
        assert scores["fact_accuracy"] == 1.0 and not scores.get("hallucination"), f"combine:{i}"
        for fact in check.facts:
            one = parse_fact_check({"facts": [list(map(shown_phrase, fact))]}, f"combine:{i}")
            assert any(facts_stated(answer, one)[0] for answer in trained), (row["question"], fact)


def test_no_fact_is_said_by_its_own_question(held_out):
    # An answer that repeats its question would state such a fact, right or wrong: "how do I
    # switch on gradient checkpointing?" credited "gradient_checkpointing is on by default".
    from tunelab.evaluate.facts.score import parse_fact_check
    from tunelab.evaluate.facts.score_notes import echoed_facts

    rows = {f"held out:{i}": row for i, row in enumerate(held_out, start=1) if row.get("facts")}
    checks = {source: parse_fact_check(row, source) for source, row in rows.items()}
    assert echoed_facts({s: row["question"] for s, row in rows.items()}, checks) == []


def test_answers_are_short(train, held_out):
    for row in train + held_out:
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
    ("What norm are gradients clipped at by default, and how do I switch on gradient "
     "checkpointing?", "To a norm of 1.0; set gradient_checkpointing: true."),
]  # fmt: skip


@pytest.mark.parametrize("question, answer", CREDITED_REWORDINGS)
def test_a_correct_answer_worded_unlike_the_reference_is_credited(held_out, question, answer):
    from tunelab.evaluate.facts.score import parse_fact_check, score_facts

    (row,) = [row for row in held_out if row["question"] == question]
    assert score_facts(answer, parse_fact_check(row, question))["fact_accuracy"] == 1.0


# What a right value's neighbours say is no statement of it.
NOT_CREDITED = [
    ("How much dropout does the LoRA adapter use by default?", "Dropout is 1.05 by default."),
    ("What share of my examples is kept aside for evaluation?", "A test_size of 10.1."),
    ("Where does the final adapter end up after training?",
     "The final weights are cached in ~/.cache/tunelab; set TUNELAB_CACHE to change it."),
    ("Where does the final adapter end up after training?", "Set model.name to a local folder."),
    ("What norm are gradients clipped at by default, and how do I switch on gradient "
     "checkpointing?", "Gradients are clipped to 1.0. gradient_checkpointing is on by default."),
]  # fmt: skip


@pytest.mark.parametrize("question, answer", NOT_CREDITED)
def test_a_wrong_answer_near_the_fact_is_not_credited(held_out, question, answer):
    from tunelab.evaluate.facts.score import parse_fact_check, score_facts

    (row,) = [row for row in held_out if row["question"] == question]
    assert score_facts(answer, parse_fact_check(row, question))["fact_accuracy"] == 0.0


# A wrong answer worded without its "Yes": the row names the claim, not only the verdict.
WRONG_WITHOUT_THE_VERDICT = [
    ("Is a graphics card required to use tunelab?",
     "A graphics card is indeed required to use the Tunelab."),
    ("Is a graphics card required to use tunelab?", "tunelab requires a GPU."),
]  # fmt: skip


@pytest.mark.parametrize("question, answer", WRONG_WITHOUT_THE_VERDICT)
def test_a_wrong_claim_is_a_hallucination_without_its_yes(held_out, question, answer):
    from tunelab.evaluate.facts.score import parse_fact_check, score_facts

    (row,) = [row for row in held_out if row["question"] == question]
    assert score_facts(answer, parse_fact_check(row, question))["hallucination"] == 1.0
    right = "No, a graphics card is not required: tunelab runs on CPU."
    assert score_facts(right, parse_fact_check(row, question))["hallucination"] == 0.0


def test_the_demo_trains_on_every_row_teaching_a_fact_its_test_asks_anew():
    # Its test rows ask trained facts in other words, by design. Beside a test file, a questions
    # split's training drops rows giving a test row's answer to its question reworded (a leak
    # there): the demo's training lost 44 rows teaching the very facts it then asked.
    from tunelab.data.pipeline import prepare
    from tunelab.data.quality.dedup import near_questions
    from tunelab.demo.run import demo_config
    from tunelab.models.random_weights import tiny_tokenizer

    config = demo_config().data
    data = prepare(config, tiny_tokenizer(), near_questions)
    assert data.leaked_removed == 0 and len(data.train_examples) == len(_load(TRAIN))
    trained = {_norm(e.answer) for e in data.train_examples}
    asked = [row for row in _load(TEST) if row["answer"] != REFUSAL]
    assert len(asked) == 56 and all(_norm(row["answer"]) in trained for row in asked)
    as_questions = config.model_copy(update={"held_out": "questions"})
    dropped = prepare(as_questions, tiny_tokenizer(), near_questions)
    assert dropped.leaked_removed == 44
    # said as what they are: not 44 rows asking a test question again
    said = "44 training examples asking a test question, or its answer to it reworded, removed"
    assert said in dropped.summary()
