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
        # a curly apostrophe as a PDF or web page writes it ("if I\u2019re away" was asked)
        ("if you\u2019re away", "if I\u2019m away"),
        ("what you\u2019ll need", "what I\u2019ll need"),
        ("each time you SSH in", "each time I SSH in"),  # a verb in capitals still a verb
        ("the kettle tells you when", "the kettle tells me when"),  # an object: "me"
        # a clause a question word or a comma opens: its subject ("check what me need" was asked)
        ("check what you need", "check what I need"),
        ("if it blinks, you reset it", "if it blinks, I reset it"),
        ("a youth hostel", "a youth hostel"),  # only the word "you"
        # a noun a determiner opens, then "you" and a verb: a clause without its "that"
        ("the files you download", "the files I download"),
        ("each file you add", "each file I add"),
        ("the settings you changed", "the settings I changed"),
        ("anything you need", "anything I need"),
        ("a way you can", "a way I can"),
        # after a verb, "you" is still its object
        ("the app helps you choose", "the app helps me choose"),
        ("the tool lets you pick a port", "the tool lets me pick a port"),
        ("this gives you a choice", "this gives me a choice"),
        ("some require you to log in", "some require me to log in"),
        # a determiner standing alone before its verb opens no noun ("These let I choose")
        ("these let you choose a model", "these let me choose a model"),
        ("each lets you pick a port", "each lets me pick a port"),
        ("some logs you keep", "some logs I keep"),
        ("each test you run", "each test I run"),
        # "you were" as a subject is "I was"; after "if" a supposition's "I were"
        ("see the page you were on", "see the page I was on"),
        ("what you weren't told", "what I wasn't told"),
        ("if you were the admin", "if I were the admin"),
        # "thank you" is a fixed phrase, the manual's thanks ("Thank me for choosing Quill")
        ("Thank you for choosing Quill", "Thank you for choosing Quill"),
        ("send a thank-you card", "send a thank-you card"),
        ("thanks to you", "thanks to me"),  # a preposition's object, as "next to you"
        # words in capitals stay in capitals ("YOU WERE" was asked "I was")
        ("see the page YOU WERE on", "see the page I WAS on"),
        ("IF YOU\u2019RE AWAY", "IF I\u2019M AWAY"),
        ("it tells YOU", "it tells ME"),
        ("clean YOUR filter", "clean MY filter"),
        ("You were told", "I was told"),  # a capital only opening it: "I", as any question's
        # "your" before "you" leaves the clause "you" opens read where it is written
        ("clean your filter when you hear a rattle", "clean my filter when I hear a rattle"),
        # a noun "your" opens, as one "the" opens: "my filter me use" was asked
        ("replace your filter you use", "replace my filter I use"),
        ("their files you download", "their files I download"),
        ("your app lets you pick", "my app lets me pick"),
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


def test_you_after_a_noun_asks_as_i(tmp_path):
    manual = tmp_path / "kettle.md"
    manual.write_text(
        "# Brewmaster Kettle\n\n## Filters\n\n"
        "If the filter you bought is too small, return it within 30 days.\n\n"
        "Clean each filter you use every 2 weeks.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(manual)
    assert "What should I do if the filter I bought is too small?" in pairs
    assert pairs["How often should I clean each filter I use?"] == (
        "Clean each filter you use every 2 weeks."
    )


def test_a_fixed_phrase_and_words_in_capitals_are_asked_as_the_manual_writes_them(tmp_path):
    manual = tmp_path / "kettle.md"
    manual.write_text(
        "# Brewmaster Kettle\n\n## Gifts\n\nTo say thank you to a helper, send a note.\n\n"
        "To send a thank-you card, open Cards.\n\nTo see the page YOU WERE on, press Back.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(manual)
    assert pairs["How do I say thank you to a helper?"] == "Send a note."
    assert pairs["How do I send a thank-you card?"] == "Open Cards."
    assert pairs["How do I see the page I WAS on?"] == "Press Back."
