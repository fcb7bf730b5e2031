"""The scorer reads a measure the ways it is written: a glued "m" is metres or minutes but in a
name or a price, a temperature and a voltage are one value however their unit is spelled (other
spellings: test_facts_values.py; the unit list: test_units.py)."""

from __future__ import annotations

import pytest

from tests.conftest import fact_accurate, proposed_check
from tunelab.evaluate.facts.score import score_facts
from tunelab.evaluate.facts.specific_terms import specific_terms


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        ("50 m", "The cable is 50m long.", True),  # metres, not 50 million
        ("50m", "The range is up to 50 m.", True),
        ("50m", "It has 50 million rows.", False),
        ("5m", "The timeout is 5 million.", False),
        ("135M", "It has 135m parameters.", False),  # a fact "135m" is read alone, as "135 m"
        ("135m", "Use the 135m model.", True),
        ("70M", "Try pythia-70m first.", True),  # a name's size
        ("10 million", "Its range is 5-10m.", False),  # a range's end, no name's size
        ("$5 million", "It costs $5m a year.", True),
        ("50 million", "It holds 50M rows.", True),  # a capital M is a million
        ("5000", "It keeps 5k rows.", True),
    ],
)
def test_a_glued_m_is_metres_or_minutes_but_a_capital_m_a_million(fact, answer, stated):
    assert fact_accurate(fact, answer) is stated


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        ("180 °C", "Bake it at 180 degrees Celsius.", True),
        ("180 °C", "Bake it at 180°C.", True),
        ("180 °C", "Bake it at 180 degrees C.", True),
        ("180 °C", "Bake it at 180 \u2103.", True),  # the one-character sign
        ("180 degrees Celsius", "Bake it at 180°C.", True),
        ("356 °F", "Bake it at 356 degrees Fahrenheit.", True),
        ("180 °C", "Bake it at 180 °F.", False),  # Fahrenheit is never Celsius
        ("180 degrees Fahrenheit", "Bake it at 180 degrees Celsius.", False),
        ("12 V", "It runs on 12 volts.", True),
        ("12 V", "It runs on 12V.", True),
        ("12 volts", "It runs on 12 V.", True),
        ("12 V", "It draws 12 W.", False),
    ],
)
def test_a_temperature_or_voltage_is_one_value_however_its_unit_is_spelled(fact, answer, stated):
    assert fact_accurate(fact, answer) is stated


def test_a_temperature_is_proposed_with_its_scale_and_an_angle_or_amps_as_a_number():
    assert "180 degrees Celsius" in specific_terms("Bake it at 180 degrees Celsius.")
    assert "90" in specific_terms("Turn the dial 90 degrees.")  # "90°" states it too
    assert "2" in specific_terms("It draws 2 amps.")  # "2 A" states it: the scorer drops "A"


@pytest.mark.parametrize(
    "answer, accurate",
    [
        ("It reaches 180 degrees.", True),  # the degrees asked, the scale left out
        ("It reaches 180°C.", True),
        ("It reaches 180 degrees Fahrenheit.", False),
        ("It reaches 180.", False),
    ],
)
def test_a_temperature_proposed_with_its_scale_is_stated_by_its_degrees_alone(answer, accurate):
    check = proposed_check(
        "How many degrees does the print head reach?", "The print head reaches 180 degrees Celsius."
    )
    assert (score_facts(answer, check)["fact_accuracy"] == 1.0) is accurate


@pytest.mark.parametrize(
    "fact, stated",
    [("3.10", True), ("3.1", False)],
)
def test_a_version_before_the_article_a_keeps_its_last_zero(fact, stated):
    # "A" is the article here, no amps: a version's ".10" is not ".1" ("12.50 W" would be 12.5).
    assert fact_accurate(fact, "In 3.10 A new flag was added.") is stated


def test_a_pressure_is_proposed_with_its_unit_and_another_unit_does_not_state_it():
    # A manual's "0.5 to 8 bar" proposed "8", which "8 psi" stated.
    assert "8 bar" in specific_terms("The maximum inlet pressure is 8 bar.")
    assert "120 psi" in specific_terms("It pumps at 120 psi.")
    assert fact_accurate("8 bar", "Keep it under 8 bar.") is True
    assert fact_accurate("8 bar", "Keep it under 8 psi.") is False


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        ("24 hours", "Cycles last 24, 48 and 72 hours.", True),
        ("48 hours", "Cycles last 24, 48 and 72 h.", True),
        ("1 GB", "Models need 1 and 2 GB.", True),
        ("10 GB/s", "It offers 5, 10 and 20 GB/s.", True),
        ("2,000 mAh", "It takes 2,000 and 4,000 mAh batteries.", True),
        ("1-5 minutes", "Set 1-5 and 10 minutes.", True),
        ("10 GB/s", "It offers 5, 10 and 20 MB/s.", False),
        ("$20 per month", "Plans cost $10, $20 and $50 per month.", True),
        ("$20 per month", "Plans cost $10, $20 and $50 per year.", False),
        ("24 hours", "Cycles last 24, 48 and 72 minutes.", False),
        ("24 hours", "It pauses for 24, 48 or 72 hours.", False),  # one of a choice: a guess
        ("5 GB", "It needs between 5 and 10 GB.", False),  # a range, no list
    ],
)
def test_a_list_of_numbers_that_ends_in_a_unit_gives_each_number_that_unit(fact, answer, stated):
    assert fact_accurate(fact, answer) is stated
