"""`tunelab data facts` on a name with its whole-number version ("Python 3", "Windows 11") that
opens a sentence: one fact, as mid-sentence, so another name's 3 or 11 is not credited; and a
sentence that opens with an order and a count ("Install 3 packages.") names nothing."""

import pytest

from tests.conftest import proposed_check
from tunelab.evaluate.facts.propose import propose
from tunelab.evaluate.facts.score import score_facts


def _facts(answer: str) -> list[str]:
    return [alternatives[0] for alternatives in propose("What does it need?", answer, {})[0]]


@pytest.mark.parametrize(
    "reference, facts",
    [
        # "3", "11", "17" were proposed alone: the name, the sentence's first word, was dropped.
        ("Python 3 is required.", ["Python 3"]),
        ("Windows 11 needs TPM 2.0.", ["TPM 2.0", "Windows 11"]),
        ("Java 17 supports records.", ["Java 17"]),
        ("Node 20 runs it.", ["Node 20"]),
        ("Gemma 2 runs on a laptop.", ["Gemma 2"]),
        ("iOS 17 is out.", ["iOS 17"]),
        ("Visual Studio 2022 is required.", ["Visual Studio 2022"]),
        # A tier or a tuning after the version is the name's, as mid-sentence ("Claude 3" and
        # "Opus" were two facts); a word that is no variant is a second fact.
        ("Claude 3 Opus is the largest.", ["Claude 3 Opus"]),
        ("Claude 3.5 Sonnet is best.", ["Claude 3.5 Sonnet"]),
        ("Llama 3 Instruct answers well.", ["Llama 3 Instruct"]),
        ("Llama 3 Herd answers well.", ["Llama 3", "Herd"]),
        # As mid-sentence:
        ("We use Python 3 here.", ["Python 3"]),
        # A first word in -s is the name's where a verb of one thing follows the number ("2" was
        # proposed alone, "Jenkins" read as a verb that counts).
        ("Jenkins 2 runs builds.", ["Jenkins 2"]),
        # A plural of the name's before its verb ("3" and "20" were proposed alone).
        ("Python 3 scripts run here.", ["Python 3"]),
        ("Node 20 builds run faster.", ["Node 20"]),
        # A verb in -s opening the sentence is none of the name ("Helps Python" was proposed too).
        ("Helps Python 3 users migrate.", ["Python 3"]),
        ("Lets Python 3 users migrate.", ["Python 3"]),
    ],
)
def test_a_name_with_its_whole_version_opening_a_sentence_is_one_fact(reference, facts):
    assert _facts(reference) == facts


@pytest.mark.parametrize(
    "reference, fact",
    [
        ("Install 3 packages.", "3"),  # an order and its count
        ("Use 2 GPUs.", "2"),
        ("Run 4 epochs.", "4"),
        ("Train 3 epochs first.", "3"),
        ("Add 2 lines to the config.", "2"),
        ("Train 3 epochs under load.", "3"),  # any preposition: "Train 3" was proposed
        ("Give 3 examples about it.", "3"),
        ("Take 2 pills a day.", "2"),
        ("About 70 rows are kept.", "70"),  # a word that says how many
        ("Sizes 8 are supported.", "8"),  # a plural the number is one of
        ("Step 3 is done.", "3"),  # a word that numbers
    ],
)
def test_an_order_and_its_count_opening_a_sentence_name_nothing(reference, fact):
    assert _facts(reference)[0] == fact


def test_a_verb_in_s_opening_a_sentence_is_no_part_of_the_name_after_it():
    question, reference = "Who does it help?", "Helps Python 3 users migrate."
    check = proposed_check(question, reference)
    assert score_facts("Users of Python 3.", check)["fact_accuracy"] == 1
    assert score_facts("Users of Python 2.", check)["fact_accuracy"] == 0


def test_a_name_with_its_whole_version_is_not_stated_by_another_names_number():
    question, reference = "What does it need?", "Python 3 is required."
    check = proposed_check(question, reference)
    assert score_facts("It needs Python 3.", check)["fact_accuracy"] == 1
    assert score_facts("It needs Python 3.11.", check)["fact_accuracy"] == 1  # a release of it
    assert score_facts("It needs Node 3.", check)["fact_accuracy"] == 0
