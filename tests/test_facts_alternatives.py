"""A facts file is for a person to review: `tunelab data facts` gives a value only the other
spellings the scorer would not read as the value anyway, and an answer that says a dropped one
is still credited."""

from __future__ import annotations

import pytest

from tests.conftest import proposed_check
from tunelab.data.units import UNITS, forms
from tunelab.evaluate.facts.propose import propose
from tunelab.evaluate.facts.score import score_facts
from tunelab.evaluate.facts.value_forms import OTHER_FORMS


def test_a_temperature_is_proposed_with_the_spelling_that_adds_something():
    # It was given seven more: "180 Celsius", "180 degree C", "180 centigrade", ...
    facts, _ = propose("How hot should the oven be?", "Bake at 180 °C.", {})
    assert facts == [["180 °C", "180 degrees"]]
    facts, _ = propose("How many epochs?", "Train for 16 epochs.", {})
    assert facts == [["16"]]  # "sixteen" is read as 16
    facts, _ = propose("What is it?", "It is a 2-GPU server.", {})
    assert facts == [["2-GPU"]]  # "2 GPUs" is read as it
    facts, _ = propose("How long is the timer?", "Set it to 30 min.", {})
    assert facts == [["30 min", "30 minute"]]  # "a 30 minute timer" is no "30 minutes"


@pytest.mark.parametrize("kind", sorted({known.kind for known in UNITS}))
def test_an_answer_saying_any_spelling_of_a_unit_is_still_credited(kind):
    for known in (u for u in UNITS if u.kind == kind):
        for written in forms(known):
            value = f"12 {written}"
            check = proposed_check("What is the limit?", f"The limit is {value}.")
            # Every spelling the facts file gave before the drop.
            for other in {form for spell in OTHER_FORMS for form in spell(value)}:
                answer = f"The limit is {other}."
                assert score_facts(answer, check)["fact_accuracy"] == 1, (value, other)
