"""A number joined to its noun by a hyphen ("3-year", "7B-parameter") is one fact, said in the
noun's plural too, spelt as English spells it, and by its value alone where its unit is glued
to it."""

from __future__ import annotations

import pytest

from tests.conftest import proposed_check
from tunelab.evaluate.facts.propose import propose
from tunelab.evaluate.facts.score import score_facts


def test_a_size_glued_to_its_unit_before_a_hyphen_is_one_fact():
    # "7B-parameter" gave no fact, and "How big is the model?" fell back to "parameter".
    facts, _ = propose("How big is the model?", "It is a 7B-parameter model trained on code.", {})
    assert facts == [["7B-parameter", "7B parameters", "7B"]]
    check = proposed_check("Which model does it use?", "It uses a 7B-parameter model.")
    for answer, right in [
        ("A 7B model.", True),
        ("It has 7 billion parameters.", True),
        ("It is a 70B-parameter model.", False),
        ("It is a 13B model.", False),
        ("It has 7 parameters.", False),
    ]:
        assert score_facts(answer, check)["fact_accuracy"] == float(right), answer
    # An ordinal counts nothing: "3rd-party" is no value (its rare word "party" is a guess).
    assert propose("Can I use other tools?", "It works with 3rd-party tools.", {})[0] == [["party"]]


def test_a_version_or_size_with_a_decimal_is_not_cut_at_its_point():
    # "release 1.2-beta" also proposed "1" (and "1.2 betas"), and "2.8b-deduped" only "2".
    assert propose("Which release?", "Use release 1.2-beta of it.", {})[0] == [["1.2-beta"]]
    assert propose("Which size?", "Take the 2.8b-deduped one.", {})[0][0][0] == "2.8b-deduped"


@pytest.mark.parametrize(
    "answer, plural",
    [
        ("a 3-coach train", "3 coaches"),  # was "3 coachs"
        ("a 2-box kit", "2 boxes"),
        ("a 2-bus line", "2 buses"),
        ("a 4-dish menu", "4 dishes"),
        ("a 2-library plan", "2 libraries"),
        ("a 3-day trip", "3 days"),
        ("a 3-epoch run", "3 epochs"),  # "ch" said "k"
        ("a 2-axis mount", "2 axes"),
        ("a 2-potato dish", "2 potatoes"),
        ("a 2-photo set", "2 photos"),
    ],
)
def test_a_joined_noun_is_said_in_its_english_plural(answer, plural):
    facts, _ = propose("What is it?", f"It is {answer}.", {})
    assert facts[0][1:] == [plural]


@pytest.mark.parametrize("noun", ["man", "woman", "shelf", "knife", "quiz", "series", "matrix"])
def test_an_irregular_noun_gets_no_plural_rather_than_a_wrong_one(noun):
    # "2 mans", "2 shelfs", "2 seriess" would be alternatives no right answer says.
    facts, _ = propose("What is it?", f"It is a 2-{noun} unit.", {})
    assert facts == [[f"2-{noun}"]]
