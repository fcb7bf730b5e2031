"""A manual speaks to its reader ("your filter", "if you hear"); a template question asks in the
reader's own words ("my filter", "if I hear"), one rule for every kind of question
(tunelab/data/generate/template/second_person.py)."""

from __future__ import annotations

import pytest

from tests.conftest import pairs_of
from tunelab.data.generate.template.second_person import in_my_words

MANUAL = """# Brewmaster Kettle

## Care

Descale your kettle every 4 weeks.

If you hear a rattle, switch the kettle off.

Your warranty lasts 2 years.
"""


@pytest.mark.parametrize(
    ("said", "asked"),
    [
        ("your kettle", "my kettle"),
        ("Your warranty", "my warranty"),
        ("protect yourself", "protect myself"),
        ("you hear a rattle", "I hear a rattle"),
        ("if you are away", "if I am away"),
        ("the kettle tells you when", "the kettle tells me when"),  # an object: "me"
        # a clause a question word or a comma opens: its subject ("check what me need" was asked)
        ("check what you need", "check what I need"),
        ("if it blinks, you reset it", "if it blinks, I reset it"),
        ("a youth hostel", "a youth hostel"),  # only the word "you"
    ],
)
def test_the_second_person_becomes_the_readers_first(said, asked):
    assert in_my_words(said) == asked


def test_each_kind_of_question_asks_in_the_readers_words(tmp_path):
    manual = tmp_path / "kettle.md"
    manual.write_text(MANUAL, encoding="utf-8")
    pairs = pairs_of(manual)
    assert pairs["How often should I descale my kettle?"] == "Descale your kettle every 4 weeks."
    assert "What should I do if I hear a rattle?" in pairs
    assert "How long does my warranty last?" in pairs
