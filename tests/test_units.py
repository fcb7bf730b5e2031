"""The units a number may carry are listed once (tunelab.data.units): the scorer, the fact
proposer and the template questions read the same spellings, so a unit known to one is known to
all."""

from __future__ import annotations

import pytest

from tests.conftest import fact_accurate
from tunelab.data.generate.template.word_classes import measure_of
from tunelab.evaluate.facts.propose import propose
from tunelab.evaluate.facts.specific_terms import specific_terms


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("6 ft", "The cord is 6 feet long."),
        ("6 feet", "The cord is 6 ft long."),
        ("20 kHz", "It hears up to 20 kilohertz."),
        ("5 mA", "It draws 5 milliamps when idle."),
        ("2 kg", "It weighs 2 kilograms."),  # as before
        ("1 ms", "It answers in one millisecond."),  # "one" before any unit of time or size
        ("48 megapixel", "It has a 48 MP camera."),  # "48" alone was proposed
        ("48 MP", "It uses a 48 megapixel camera."),
    ],
)
def test_a_unit_written_out_or_by_its_symbol_is_one_value(fact, answer):
    assert fact_accurate(fact, answer)


def test_a_value_is_proposed_with_any_listed_unit():
    assert "3 yards" in specific_terms("The hose is 3 yards long.")
    assert "40 decibels" in specific_terms("It runs at 40 decibels.")


@pytest.mark.parametrize(
    "words, measure",
    [
        ("20 kV", "voltage"),
        ("300 millimetres", "distance"),
        ("60 ° C", "temperature"),
        ("2 A", "current"),
        ("30 seconds", None),  # a time is asked how long, not "what time"
        ("150 mm per sec", "speed"),  # a distance over any spelling of a time
    ],
)
def test_a_template_question_names_the_measure_of_any_listed_unit(words, measure):
    assert measure_of(words) == measure


@pytest.mark.parametrize(
    "reference, fact",
    [
        # Only the spellings the scorer would not read as the value: "12 volts" is "12 V" to it,
        # "180 Celsius" "180 °C" (a facts file gave "180 °C" seven more).
        ("It runs on 12 V.", ["12 V"]),
        ("It samples at 20 kHz.", ["20 kHz"]),
        ("It runs at 40 decibels.", ["40 decibels"]),
        ("A 6-foot cord.", ["6-foot", "6 feet", "6 ft"]),  # no "6 foots"
        ("Logs are kept 30d.", ["30d", "30 day", "30 days"]),
        ("Bake it at 180 °C.", ["180 °C", "180 degrees"]),
        # No one-letter form is given: "Python 3's" would state "3 s"; "3 sec" is "3 seconds".
        ("It waits 3 seconds.", ["3 seconds", "3 second"]),
        ("It runs on 12 volts.", ["12 volts"]),
        ("It uses a 48 megapixel camera.", ["48 megapixel"]),
    ],
)  # fmt: skip
def test_a_value_is_proposed_with_the_spellings_of_its_unit_the_scorer_reads_apart(reference, fact):
    assert propose("What does it need?", reference, {})[0] == [fact]
