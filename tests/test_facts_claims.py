"""Fact scoring counts only what the answer itself claims: a value it calls wrong, reports others
saying or offers among others is not stated, and a wrong answer it states beside the fact is a
hallucination."""

import pytest

from tests.conftest import fact_accurate
from tunelab.evaluate.facts.score import parse_fact_check, score_facts


@pytest.mark.parametrize(
    "fact, answer, stated",
    [  # an answer that names the fact only to call it wrong (16 and GPU scored as stated)
        ("16", "16 is wrong; it is 32.", False),
        ("16", "16 is incorrect; the default is 32.", False),
        ("16", "Some docs wrongly say 16; the default is 32.", False),
        ("16", "Many people mistakenly believe it is 16, but it is 32.", False),
        ("16", "That 16 is the default is a common misconception; it is 32.", False),
        ("GPU", "Unlike a GPU, a CPU is enough.", False),
        ("GPU", "A GPU is unnecessary; a CPU is fine.", False),
        ("CPU", "A GPU is unnecessary; a CPU is fine.", True),
        ("CPU", "Unlike a GPU, a CPU is enough.", True),
        ("16", "It is 16, and 32 is wrong.", True),
        ("errors", "Prompts formatted incorrectly cause errors.", True),  # no claim called wrong
        ("resume", "resume is false by default.", True),  # false: a value here
    ],
)
def test_a_value_the_answer_calls_wrong_is_not_stated(fact, answer, stated):
    assert fact_accurate(fact, answer) == stated


@pytest.mark.parametrize(
    "answer, accurate, hallucinated",
    [
        # What some others say is reported, not the answer's claim: not stated, and no
        # hallucination (right or wrong, the answer does not commit to it).
        ("The default rank is 16, although some guides say 32.", True, False),
        ("The default rank is 16, though some people claim it is 32.", True, False),
        ("While some tutorials recommend 32, the default rank is 16.", True, False),
        ("Some guides say 32, but the default is 16.", True, False),
        ("Some guides say: 32. The default is 16.", True, False),
        ("The default is 16, whereas others suggest 32.", True, False),
        ("Although the docs say 32, the code uses 16.", True, False),
        ("The default is 16, not 32 as some guides say.", True, False),
        ("Some guides say 16.", False, False),
        # A concession the answer makes itself, or a source it cites as its own, is its claim.
        ("Although the default is 32, you can lower it to 16.", False, True),
        ("While the default is 32, many set it to 16.", False, True),
        ("The docs say the default is 32.", False, True),
        ("The default is 32, as the docs say.", False, True),
        ("The default is 32, although some guides say 16.", False, True),
        # What others do is no report of what they say: "use" states its value.
        ("While most users use the default of 16, you can raise it.", True, False),
        ("Although some docs list 32, the default is 16.", True, False),
    ],
)
def test_a_value_some_others_are_said_to_claim_is_reported_not_stated(
    answer, accurate, hallucinated
):
    check = parse_fact_check({"facts": [["16"]], "wrong": ["32"]}, "t.jsonl:1")
    scores = score_facts(answer, check)
    assert (scores["fact_accuracy"], scores["hallucination"]) == (accurate, hallucinated)


@pytest.mark.parametrize(
    "answer, accurate, hallucinated",
    [
        # A reported value the answer then affirms as its own is its claim too.
        ("Some guides recommend 16, which is the default.", True, False),
        ("Some guides say 16, and that is the default.", True, False),
        ("Some guides recommend 16 which is the default.", True, False),
        ("Some guides say 16. That's correct.", True, False),
        ("Some guides say 16, and they are right.", True, False),
        ("Some guides say 32, which is the default.", False, True),
        # Denied or left unaffirmed, it stays a report.
        ("Some guides say 16, which is not the default.", False, False),
        ("The default is 16, although some guides say 32.", True, False),
        ("Some guides say 32, which is wrong; the default is 16.", True, False),
    ],
)
def test_a_reported_value_the_answer_affirms_is_stated(answer, accurate, hallucinated):
    check = parse_fact_check({"facts": [["16"]], "wrong": ["32"]}, "t.jsonl:1")
    scores = score_facts(answer, check)
    assert (scores["fact_accuracy"], scores["hallucination"]) == (accurate, hallucinated)


def test_an_answer_that_states_a_wrong_answer_too_is_notfact_accurate():
    check = parse_fact_check({"facts": [["16"]], "wrong": ["8"]}, "t.jsonl:1")
    assert score_facts("It is 16; on a GPU it is 8.", check) == {
        "fact_recall": 1.0,
        "fact_accuracy": 0.0,
        "hallucination": 1.0,
    }
    assert score_facts("It is 16, not 8.", check)["fact_accuracy"] == 1.0


@pytest.mark.parametrize(
    "answer",
    [
        "It is 16 or 8 GB.",
        "It is 8 or 16.",
        "It is 16, or maybe 8.",  # a hedged second value is offered, no restatement
        "Use 8-16.",
        "It is 4, 8 or 32.",
        "It is 8GB/16GB.",  # a slash between two values offers them as "or" does
    ],
)
def test_a_wrong_value_offered_is_not_stated_as_no_value_offered_is(answer):
    # An offer commits to none of its values: it misses the fact (16), and states no wrong one.
    check = parse_fact_check({"facts": [["16"]], "wrong": ["8"]}, "t.jsonl:1")
    assert score_facts(answer, check) == {
        "fact_recall": 0.0,
        "fact_accuracy": 0.0,
        "hallucination": 0.0,
    }
