"""A range does not know its value: an end said only as one is not stated, nor a decimal by its
digits in a range, while a range the row expects is, and a date, code or phone number is no range."""

from __future__ import annotations

import pytest

from tests.conftest import fact_accurate
from tunelab.evaluate.facts.score import parse_fact_check, score_facts


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        # A range does not know the value, as "16 or 32" does not: an end said only as one is
        # not stated (each scored 1).
        ("3", "It trains for 1-3 epochs.", False),
        ("3", "It trains for 1 to 3 epochs.", False),
        ("3", "It trains for between 1 and 3 epochs.", False),
        ("1", "It trains for 1\u20133 epochs.", False),
        ("16 GB", "You need 8-16 GB.", False),
        ("16 GB", "You need 8GB to 16GB.", False),
        ("8 GB", "You need 8 GB-16 GB.", False),
        ("10%", "Use 5-10% of the data.", False),
        ("10%", "The discount is 5%-10%.", False),
        ("$20", "It costs $10-$20 a month.", False),
        ("3", "It is 3-4x faster.", False),
        ("3", "It ranges from -3 to 3.", False),
        ("3.10", "It supports Python 3.9-3.10.", False),  # up, as versions go
        # A span of versions is a range: neither end is stated, with its name or without.
        ("3.8", "Python 3.8-3.11 is supported.", False),
        ("Python 3.8", "Python 3.8-3.11 is supported.", False),
        ("Python 3.8", "It needs Python 3.8 to 3.11.", False),
        ("batch 16", "Use batch 16-32.", False),
        # "increased 10 to 15 percent" is by 10 to 15 percent; "from 10 to 15" a change.
        ("15%", "Sales increased 10 to 15 percent.", False),
        ("15%", "Sales increased from 10 to 15 percent.", True),
        ("3", "It trains for 3 epochs; 1-3 epochs is common.", True),  # said alone too
        # A date, a version, a code, a phone number, a sign or a score is no range.
        ("2024", "It was released 2024-01-15.", True),
        ("2024", "It was released in 2024-01.", True),
        ("3.10", "Use the python:3.10-slim image.", True),
        ("1.2", "Install v1.2-3.", True),
        ("401", "It fails with HB-401.", True),
        ("4567", "Call 555-123-4567.", True),
        ("1234", "Call +1 555-1234.", True),
        ("1234", "Call 555-1234.", True),
        ("1234", "Our phone number is 555-1234.", True),
        ("1000", "Use 500-1000 rows.", False),  # no phone number
        ("1000", "Set the number of rows to 500-1000.", False),
        ("-3", "Set it to -3.", True),
        ("16", "Use 16-bit precision.", True),
        ("5", "It won 10-5.", True),
        # Nor is a change of a value: the new value is stated.
        ("8", "Raise it from 4 to 8 GPUs.", True),
        ("8", "The batch size was increased from 4 to 8.", True),
    ],
)
def test_a_value_said_only_as_an_end_of_a_range_is_not_stated(fact, answer, stated):
    assert fact_accurate(fact, answer) == stated


@pytest.mark.parametrize(
    "facts, answer",
    [
        ([["1"], ["3"]], "It trains for 1-3 epochs."),  # both ends expected
        ([["1"], ["3 epochs"]], "It trains for 1-3 epochs."),  # the unit with one end
        ([["8 GB"], ["16 GB"]], "You need 8 GB-16 GB."),  # with each
        ([["5%"], ["10%"]], "The discount is 5%-10%."),  # a range's dash is no sign
        ([["1-3"]], "It trains for 1-3 epochs."),  # the range is the fact
        ([["3", "1-3"]], "It trains for 1-3 epochs."),
        ([["5-10 GB"]], "It needs between 5 and 10 GB."),
        ([["555-1234"]], "Call 555-1234."),
        ([["Python 3.8-3.11"]], "Python 3.8-3.11 is supported."),
        ([["3.8"], ["3.11"]], "Python 3.8-3.11 is supported."),
    ],
)
def test_a_range_the_row_expects_is_stated(facts, answer):
    check = parse_fact_check({"facts": facts}, "t.jsonl:1")
    assert score_facts(answer, check)["fact_accuracy"] == 1.0


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("2.4 Gbps", "It reaches 2-4 Gbps."),
        ("2.4 Gbps", "2/4 Gbps"),
        ("0.5", "between 0-5"),
        ("1.5", "Use 1 or 2; 1–5 works too."),
        ("3.14", "3, 14"),
        ("v1.2", "v1-2"),
    ],
)
def test_a_decimal_is_not_stated_by_its_digits_in_a_range_or_list(fact, answer):
    # A fact's "2.4" was read as the words "2 4", which a range "2-4" says.
    assert not fact_accurate(fact, answer)
    assert fact_accurate(fact, f"It is {fact}.")
