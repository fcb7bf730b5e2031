"""`tunelab data facts` on a plain product manual's Q&A: the values its answers state (a step's
duration, a port, each listed limit, a setting's default, the fix's value) are the facts, not
the common words around them ("connect", "power", "much", "long", "waits", "cause")."""

from __future__ import annotations

from tunelab.evaluate.facts.propose_file import propose_rows
from tunelab.evaluate.facts.score import parse_fact_check, score_facts

# A kettle's manual, as `tunelab data generate --mode template` words its pairs.
ROWS = [
    ("How do I set up the Kettlo?",
     "1. Connect the power cord.\n2. Hold the BOIL key for 2 seconds.\n"
     "3. Pair the app on channel 11."),
    ("What are the limits of the Kettlo?",
     "- The kettle holds 1.7 l of water.\n- The base draws 2200 W.\n- The cord is 75 cm long."),
    ("What is keep_warm?", "keep_warm sets how much heat the base keeps. Its default is 70."),
    ("What does auto_off do?", "auto_off sets how long the kettle waits before it stops."),
    ("What should I do when the kettle does not boil?",
     "Cause: auto_off is too short. Fix: raise auto_off to 10 minutes."),
    ("What is the warranty of the Kettlo?", "The Kettlo has a 2-year limited warranty."),
]  # fmt: skip


def _proposed() -> list[dict]:
    rows, _ = propose_rows([{"question": q, "answer": a} for q, a in ROWS])
    return rows


def test_a_manuals_stated_values_are_its_facts_not_the_words_around_them():
    facts = [[fact[0] for fact in row.get("facts", [])] for row in _proposed()]
    assert facts[0] == ["2 seconds", "BOIL", "11"]  # every step's terms, not "connect", "power"
    assert facts[1] == ["1.7 l", "2200 W", "75 cm"]  # every listed limit, past the two
    assert facts[2] == ["70"]  # the default, not "much", "heat"
    assert facts[3] == []  # "sets how long it waits" states no value: a person writes it
    assert "10 minutes" in facts[4] and "cause" not in facts[4]  # the fix, not the cause


def test_an_answer_that_misses_a_listed_value_fails_and_one_that_states_them_passes():
    setup, limits = (parse_fact_check(row, "test") for row in _proposed()[:2])
    right = "Plug it in, hold BOIL for 2 seconds and pair on channel 11."
    assert score_facts(right, setup)["fact_accuracy"] == 1.0
    assert score_facts("Plug it in, hold BOIL for 5 seconds and pair.", setup)["fact_accuracy"] == 0
    assert score_facts("It holds 1.7 l and draws 2200 W.", limits)["fact_recall"] == 2 / 3
