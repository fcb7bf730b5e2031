"""An answer that gives what its question asks another value than the reference does states
something false that no wrong phrase names: it is counted apart, as other_value."""

from __future__ import annotations

import pytest

from tunelab.evaluate.facts.score import other_value_stated, parse_fact_check, score_facts
from tunelab.evaluate.scores import LOWER_IS_BETTER, summarize

WARMUP = {
    "question": "How long is the learning rate warmup by default?",
    "answer": "warmup_ratio defaults to 0.05; warmup_steps overrides it when set.",
    "facts": [[{"regex": r"(?<![\d.])0?\.05\b|\b5 ?%"}]],
}
TOKENS = {
    "question": "How many tokens fit in one example by default?",
    "answer": "data.max_length defaults to 512 tokens.",
    "facts": [["512"]],
    "wrong": ["128", "256", "1024"],
}
EVAL_EVERY = {
    "question": "Every how many steps is the eval loss computed?",
    "answer": "eval_every defaults to 50 steps.",
    "facts": [["50"]],
}
RANK = {
    "question": "How large is the LoRA rank if I do not set it?",
    "answer": "The LoRA rank r defaults to 16.",
    "facts": [["16"]],
}
# From a newcomer's QA pass: a number after the word that names it, a version range, a level in
# capitals gave no claim, so these other values went unflagged.
PORT = {
    "question": "Which port does the server listen on?",
    "answer": "The server listens on port 8080.",
    "facts": [["8080"]],
}
# A number after "on" that no word names: the reference's value sits there ("listens on"), so
# "It listens on 80" gives the port another value, though neither it nor the question says
# "listen" is what is asked.
LISTENS = {
    "question": "Which port does the server take?",
    "answer": "It listens on port 8080.",
    "facts": [["8080"]],
}
LOG_LEVEL = {
    "question": "What is the default log level?",
    "answer": "The default log level is DEBUG.",
    "facts": [["DEBUG"]],
}
LOG_LEVEL_NUMBER = {
    "question": "What log level does the agent use?",
    "answer": "It logs at level 20.",
    "facts": [["20"]],
}
PYTHON = {
    "question": "Which Python version does it need?",
    "answer": "It needs Python 3.11.",
    "facts": [["Python 3.11"]],
}
PYTHON_3 = {
    "question": "Which Python version does it need?",
    "answer": "It needs Python 3.",
    "facts": [["Python 3"]],
}
QUEUE = {
    "question": "How many changes can the offline queue hold?",
    "answer": "Up to 10,000 changes.",
    "facts": [["10,000"]],
}
# A setting's name in capitals ending in S is no plural: "HTTPS port" is not "HTTP port" (it was
# read as one, so the HTTPS port's true 8443 was the HTTP port's other value).
HTTP_PORT = {
    "question": "Which port does the HTTP server listen on?",
    "answer": "The HTTP port defaults to 8080.",
    "facts": [["8080"]],
}

# A newcomer's own data: a count written with a hyphen ("a 20-minute flight") or its unit's
# symbol ("20 min") gave no claim, or one of another unit, so no other value than 22 minutes.
FLIGHT_TIME = {
    "question": "What is the Orbix Mini's flight time?",
    "answer": "The Orbix Mini flies for 22 minutes.",
    "facts": [["22 minutes", "22 minute"]],
}


@pytest.mark.parametrize(
    "row, answer, other",
    [
        (WARMUP, "The learning rate warmup by default is 1.00.", ["1.00"]),  # the setting asked
        (TOKENS, "In a standard game, there are 10 tokens.", ["10"]),  # a count of the same
        (EVAL_EVERY, "eval_every defaults to 10 steps.", ["10"]),  # the same name
        # in Markdown or quotes, as chat models write values
        (EVAL_EVERY, "`eval_every` defaults to `10` steps.", ["10"]),
        (RANK, "The LoRA rank r defaults to **32**.", ["32"]),
        (TOKENS, 'data.max_length is "64" tokens.', ["64"]),
        (PORT, "The server listens on port 80.", ["80"]),
        (LISTENS, "It listens on 80.", ["80"]),
        (LISTENS, "By default it listens on 80 and serves the API there.", ["80"]),
        (LOG_LEVEL, "The log level is 10.", ["10"]),
        (LOG_LEVEL_NUMBER, "The log level is 10.", ["10"]),
        (PYTHON, "It needs Python 2.x.", ["2.x"]),
        (PYTHON_3, "It needs Python 2.7.", ["2.7"]),  # another line of releases
        (PYTHON, "It needs Python 3.8.", ["3.8"]),
        (QUEUE, "The queue holds 5,000 changes.", ["5,000"]),  # was read "000", as 10,000 was
        (HTTP_PORT, "The HTTP port defaults to 8443.", ["8443"]),
        (FLIGHT_TIME, "The Orbix Mini is a 20-minute flight time.", ["20"]),
        (FLIGHT_TIME, "Its flight time is 20 min.", ["20"]),
    ],
)
def test_an_answer_giving_the_asked_thing_another_value_is_counted(row, answer, other):
    check = parse_fact_check(row, "test.jsonl:1")
    assert other_value_stated(answer, check) == other
    scores = score_facts(answer, check)
    assert scores["other_value"] == 1.0 and scores["fact_accuracy"] == 0.0
    # None of the row's wrong phrases lists 10: the hallucination rate does not count it.
    assert not scores.get("hallucination")


@pytest.mark.parametrize(
    "row, answer",
    [
        (WARMUP, "warmup_ratio defaults to 0.05; warmup_steps overrides it when set."),
        (WARMUP, "The warmup ratio is 5% by default."),  # the fact, written otherwise
        (WARMUP, "The warmup is not 1.00: warmup_ratio defaults to 0.05."),  # denied
        (WARMUP, "The default learning rate is 2e-4."),  # true, of another setting
        (RANK, "LoRA alpha defaults to 32."),
        (EVAL_EVERY, "eval_every defaults to 50 steps and save_every to 100 steps."),
        (EVAL_EVERY, "Checkpoints are written every 100 steps."),
        (PORT, "It uses port 8080."),
        (PORT, "It listens on 8080."),
        (PORT, "It listens on port 8080, not port 80."),  # denied
        (LISTENS, "It listens on 8080."),
        (LISTENS, "It starts in 2 seconds."),  # another thing's number
        (LISTENS, "It runs on 2 GPUs and listens on port 8080."),  # a count, not the port
        (LISTENS, "It starts at 9 and listens on port 8080."),  # another verb's slot
        (LOG_LEVEL, "The log level is DEBUG (10)."),
        (LOG_LEVEL, "The log level is 10, which is DEBUG."),  # the word's number, beside it
        (LOG_LEVEL_NUMBER, "The log level is 20."),
        (PYTHON, "Python 3.11 or newer."),
        (PYTHON, "It runs on Python 3.x."),  # a range that holds 3.11: vague, not another value
        (PYTHON_3, "It needs Python 3.11."),  # a release of Python 3, as the fact reads it
        (QUEUE, "It holds 10000 changes."),
        (HTTP_PORT, "The HTTPS port defaults to 8443."),  # true, of another setting
        (FLIGHT_TIME, "The Orbix Mini has a 22-minute flight time."),
        (FLIGHT_TIME, "Its flight time is 22 min."),
        (FLIGHT_TIME, "The Orbix Mini flies for 22 minutes and charges in 55 minutes."),
    ],
)
def test_the_right_value_or_a_true_one_of_another_setting_is_no_other_value(row, answer):
    assert score_facts(answer, parse_fact_check(row, "test.jsonl:1"))["other_value"] == 0.0


def test_a_question_that_says_the_value_asks_for_the_setting_and_gets_no_other_value():
    row = {
        "question": "Which generation option defaults to 256?",
        "answer": "max_new_tokens defaults to 256.",
        "facts": [["max new tokens"]],
    }
    scores = score_facts("temperature defaults to 0.7.", parse_fact_check(row, "test.jsonl:1"))
    assert "other_value" not in scores and scores["fact_accuracy"] == 0.0


def test_the_reference_of_a_chat_row_is_its_last_assistant_turn():
    row = {
        "messages": [
            {"role": "user", "content": TOKENS["question"]},
            {"role": "assistant", "content": TOKENS["answer"]},
        ],
        "facts": [["512"]],
    }
    check = parse_fact_check(row, "test.jsonl:1")
    assert score_facts("One example fits 64 tokens.", check)["other_value"] == 1.0


def test_eval_summarises_the_other_value_rate_where_lower_is_better():
    rows = [
        {
            "scores": {},
            "finish_reason": "stop",
            "facts": {"fact_accuracy": 0.0, "other_value": 1.0},
        },
        {
            "scores": {},
            "finish_reason": "stop",
            "facts": {"fact_accuracy": 1.0, "other_value": 0.0},
        },
        {"scores": {}, "finish_reason": "stop", "facts": {"fact_accuracy": 1.0}},
    ]
    assert summarize(rows)["other_value_rate"] == 0.5  # over the rows that give a value
    assert "other_value_rate" in LOWER_IS_BETTER


def test_eval_checks_a_test_set_without_facts_for_other_values(tmp_path, monkeypatch):
    # The check needs only the reference, yet eval ran it on rows that named facts alone:
    # "eval_every defaults to 10 steps" for 50 went unflagged on a plain question/answer set.
    import json

    from typer.testing import CliRunner

    import tunelab.generation.generate as generate
    from tunelab.cli import app

    rows = [{k: r[k] for k in ("question", "answer")} for r in (EVAL_EVERY, TOKENS)]
    test = tmp_path / "test.jsonl"
    test.write_text("".join(json.dumps(r) + "\n" for r in rows))
    said = ["eval_every defaults to 10 steps.", "data.max_length defaults to 512 tokens."]

    def answer(model, tokenizer, questions, **kwargs):
        return [generate.Generation(text, "stop", 5, 5, i) for i, text in enumerate(said)]

    monkeypatch.setattr(generate, "answer", answer)
    out = tmp_path / "eval"
    args = ["eval", "tiny-random", "--data", str(test), "--output", str(out)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["metrics"]["other_value_rate"] == 0.5  # its key as where rows name facts
    assert "other_value: 1" in result.output and "gives another value: 10" in result.output
    # The rows still name no facts: eval says so, and the report says what judged the rest.
    assert "No test row names the facts" in result.output
    assert "Judged by wording alone" in (out / "errors.md").read_text()
