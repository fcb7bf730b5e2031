"""A value offered among others ("16 or 32", "8GB/16GB", a list where one value is asked) commits
to none: it is not stated, while a list written without spaces keeps its numbers apart."""

from __future__ import annotations

import pytest

from tests.conftest import fact_accurate
from tunelab.evaluate.facts.score import parse_fact_check, score_facts


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        # What a denied verb of having or working takes is denied with it, said before or not; past a few
        # words, or after a purpose or condition, it has taken something else.
        # What a denied verb of having or working takes is denied with it, said before or not.
        ("CPU", "It runs on the CPU. Lamini does not support the CPU.", False),
        ("stemming", "It supports stemming. It does not support stemming.", False),
        ("CPU", "It runs on a CPU; it doesn't run on the CPU of a phone.", False),
        # Past a few words the verb has taken something else.
        ("CPU", "You don't have to use a GPU to run on the CPU.", True),
        ("CPU", "It runs on the CPU. It does not need a GPU.", True),
        # A purpose or a condition is a clause of its own.
        ("CPU", "You don't need a GPU to train on a CPU.", True),
        ("CPU", "It does not need a GPU when it runs on the CPU.", True),
        # "? No," takes back what it asks; a value in e-notation offered among others is not stated.
        ("32", "It could be 8, 16, 32 or 64.", False),  # the audit's hedges, all scored 1
        ("32", "Try 16 or 32.", False),
        ("$20", "$10 or $20 a month", False),
        ("16 GB", "8 GB or 16 GB", False),
        # With its unit or its name said again, it is offered all the same.
        ("3", "It trains for 3 epochs or 4 epochs.", False),
        ("3.10", "It needs Python 3.9 or Python 3.10.", False),
        ("8080", "It listens on port 8000 or port 8080.", False),
        ("3", "It trains for 3 epochs, or fewer with max_steps.", True),
        ("32", "The default is 32; 16 or 32 both fit small GPUs.", True),  # said alone too
        # From a review: a restatement or an alternative after ", or" is no guess.
        ("1 GB", "The max upload size is 1 GB, or 1024 MB.", True),
        ("32", "The default batch size is 32, or 64 if you have an A100.", True),
        # Unless the second is hedged; and numbers in words are offered as digits are.
        ("16", "It is 16, or maybe 8.", False),
        ("3", "Two epochs or three?", False),
        ("3 hours", "It takes two or three hours.", False),
        ("5", "Use three to five epochs.", False),
    ],
)
def test_a_value_offered_among_others_is_not_stated(fact, answer, stated):
    assert fact_accurate(fact, answer) == stated
    # Two values the row expects both are no hedge: "3.10 or 3.11" states both.
    for facts, answer in [
        ([["3.10"], ["3.11"]], "Python 3.10 or 3.11."),
        ([["10%"], ["20%"]], "Set the split to 10% or 20%."),  # as the facts write them
        ([["7B"], ["13B"]], "It comes in 7B or 13B sizes."),
        ([["1,000"], ["2,000"]], "It accepts 1,000 or 2,000 rows."),
    ]:
        both = parse_fact_check({"facts": facts}, "t.jsonl:1")
        assert score_facts(answer, both)["fact_accuracy"] == 1.0, answer


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        # Two values of one kind around a slash offer a choice, as "8000 or 8080" does.
        ("8080", "The default port is 8000/8080.", False),
        ("8000", "The default port is 8000 / 8080.", False),
        ("3.11", "It needs Python 3.10/3.11.", False),
        ("16 GB", "It needs 8GB/16GB.", False),
        ("$10", "It costs $5/$10 a month.", False),
        ("1024", "Use 1024/2048 tokens.", False),
        # Small powers of two are a setting's choices too (in lowest terms no fraction of them
        # has more than 1 on top): "16/32" is offered as "16 or 32" is.
        ("16", "Set the rank to 16/32.", False),
        ("32", "Use a batch size of 16/32.", False),
        ("8", "Use 8/16 GPUs.", False),
        ("8080", "The default port is 8080; 8000/8080 both work.", True),  # said alone too
        # A fraction, a score, a ratio, a date, a path or a rate is no choice.
        ("3", "Use 3/4 of the data.", True),
        ("4", "Use 3/4 of the data.", True),
        ("2", "Use 1/2 of the data.", True),
        ("8", "Use 1/8 of the data.", True),
        ("80", "Use an 80/20 split.", True),
        ("9", "It scored 9/10.", True),
        ("24", "Support is 24/7.", True),
        ("2026", "It was released 12/05/2026.", True),
        ("12", "It was released 12/05/2026.", True),
        ("2024", "It was released 2024/01/15.", True),
        ("v1", "Call /v1/chat/completions.", True),
        ("50", "It does 50 tokens/s.", True),
        ("24", "Use the subnet 10.0.0.0/24.", True),
        ("TCP", "It uses TCP/IP.", True),
        ("output", "Check input/output.", True),
        # After two names joined by a slash, each value is its name's: r is 128, alpha 256.
        ("128", "Use r/alpha 128/256.", True),
        ("256", "Use r/alpha 128/256.", True),
        ("256", "Set lora_r/lora_alpha: 128/256 for this model.", True),
        ("16", "Use r/alpha 16/32.", True),
        ("32", "Use r/alpha 16/32.", True),
        ("256", "Set alpha 128/256.", False),  # one name: a choice of its value
        # HTTP statuses of a plural kind are each one of them; a singular one is still a choice.
        ("404", "It returns 404/500 errors.", True),
        ("503", "Throttled calls get 429/503 status codes.", True),
        ("500", "It returns a 404/500 error.", False),
    ],
)
def test_values_either_side_of_a_slash_are_offered_as_a_choice(fact, answer, stated):
    assert fact_accurate(fact, answer) == stated
    # Both expected, they are both stated ("3.10/3.11" may be the row's two facts).
    both = parse_fact_check({"facts": [["3.10"], ["3.11"]]}, "t.jsonl:1")
    assert score_facts("It needs Python 3.10/3.11.", both)["fact_accuracy"] == 1.0
    # The pair itself, as `data facts` proposes it from such a reference, is the fact.
    for fact, said in [("8000/8080", "The default port is 8000/8080."), ("8GB/16GB", "8GB/16GB")]:
        assert fact_accurate(fact, said), said


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        # Several values of one kind where one is asked ("is", "was", "defaults to") are a hedge,
        # as "8000, 8080 or 9000" is.
        ("8080", "The default port is 8000, 8080, 9000.", False),
        ("8000", "The default port is 8000, 8080.", False),
        ("16 GB", "The memory needed is 8 GB, 16 GB, 32 GB.", False),
        ("3.11", "The required version was 3.10, 3.11.", False),
        ("8080", "It defaults to 8000, 8080, 9000.", False),
        ("8080", "It's 8000, 8080, 9000.", False),
        # A list that names several is several facts; a value after the list's is another one.
        ("3.11", "Supported: Python 3.10, 3.11, 3.12", True),
        ("3.11", "The supported versions are 3.10, 3.11, 3.12.", True),
        ("CSV", "It reads JSONL, CSV and Parquet.", True),
        ("16", "The default is 16, 32 with QLoRA.", True),
        ("16", "The default is 16, 32 recommended.", True),
        ("16", "The rank is 16, the alpha is 32.", True),
        ("2024", "The release date is March 5, 2024.", True),
    ],
)
def test_values_listed_where_one_is_asked_are_a_hedge(fact, answer, stated):
    assert fact_accurate(fact, answer) == stated
    # A wrong one among them is not stated; all of them expected, all are stated.
    check = parse_fact_check({"facts": [["8080"]], "wrong": ["8000"]}, "t.jsonl:1")
    assert score_facts("The default port is 8000, 8080, 9000.", check)["hallucination"] == 0.0
    every = parse_fact_check({"facts": [["3.10"], ["3.11"], ["3.12"]]}, "t.jsonl:1")
    assert score_facts("The version is 3.10, 3.11, 3.12.", every)["fact_accuracy"] == 1.0
    assert fact_accurate("8000, 8080", "The default port is 8000, 8080.")  # the list is the fact


@pytest.mark.parametrize(
    "fact, answer", [("3", "Use steps 1,2,3."), ("16", "Batch sizes 8,16,32."), ("5", "1，5")]
)
def test_a_list_written_without_spaces_keeps_its_numbers_apart(fact, answer):
    # The decimal comma rule read "1,2,3" as 1, 2.3 and the full-width "1，5" as 1.5.
    assert fact_accurate(fact, answer) and not fact_accurate("2.3", "Use steps 1,2,3.")
