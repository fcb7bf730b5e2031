"""A newcomer's pass over two invented manuals (a router, "K9", and a search tool, "Zephyrine")
found facts asked badly or not at all: a verb no list holds before when it acts, an amount asked
"What", a version asked as every requirement is, a default state asked "What is disabled?", a
name said "the K9 Router" asked without its "the", a fact before a task's step asked nowhere."""

from __future__ import annotations

import pytest

from tests.conftest import pairs_of
from tunelab.data.generate.template.headings import heading_question
from tunelab.data.generate.template.questions import sentence_question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # A verb no list holds, what it does, then when ("if", "when"): asked when (was none).
        ("The K9 switches to the 2.4 GHz band if the 5 GHz signal is weak.",
         "When does the K9 switch to the 2.4 GHz band?"),
        ("The status LED blinks red when the router has no internet connection.",
         "When does the status LED blink red?"),
        ("A `#` marks when the object is actually stored.", None),  # the clause is its object
        # An amount after the verb: how much, of power where its unit says so (was "What").
        ("The K9 draws 12 W under full load.", "How much power does the K9 draw?"),
        ("The K9 weighs 450 g.", "How much does the K9 weigh?"),
        ("The index needs at least 8 GB of RAM.", "How much RAM does the index need?"),
        ("The spool holds at most 1 GB of events.", "How much does the spool hold?"),
        # What the amount is of, as the sentence names it (was "How much does the agent need?").
        ("The agent needs at least 200 MB of free disk space.",
         "How much free disk space does the agent need?"),
        ("The backup needs 10 GB of space on the target disk.",
         "How much space does the backup need?"),
        ("The agent uploads about 20 MB of log data per day.",
         "How much log data does the agent upload?"),
        ("The app uses 2 GB of your quota.", "How much does the app use?"),  # of one thing
        # A version required: which ("What does Zephyrine require?" is its heading's question).
        ("Zephyrine requires Python 3.10 or later.",
         "What Python version does Zephyrine require?"),
        # On or off by default: whether it is on (was "What is disabled by default?").
        ("The guest network is disabled by default.", "Is the guest network enabled by default?"),
        # What a check checks, not "What does the score do?" (the clause's verbs are not its).
        ("The score checks that the fact is said, not what the answer says about it; a blend of "
         "two trained answers gets through.", "What does the score check?"),
        ("A second Ctrl-C skips that eval or, pressed during a step, stops at once and saves "
         "the last complete step.", "What does a second Ctrl-C do?"),  # "that eval": its verbs
        # What holds of any row names no thing ("What is any row of the table?" was asked).
        ("Any row of the table is `tunelab train` with the demo's config.", None),
    ],
)  # fmt: skip
def test_a_manual_s_fact_is_asked_as_its_words_say(sentence, question):
    assert sentence_question(sentence, sentence) == question


ROUTER = """# K9 Router

The K9 Router is a dual-band home router.

## Setup

1. Connect the K9 Router to your modem.
2. Plug in the power adapter.

## Wireless

The guest network is disabled by default.

## Troubleshooting

### The status LED blinks red

Restart the modem.

### The status LED zorps red

Call support.
"""


def test_a_router_manual_asks_its_name_as_said_and_its_problems_as_said(tmp_path):
    manual = tmp_path / "router.md"
    manual.write_text(ROUTER, encoding="utf-8")
    pairs = pairs_of(manual)
    assert pairs["What is the K9 Router?"].startswith("The K9 Router is")
    assert pairs["How do I set up the K9 Router?"].startswith("1. Connect the K9 Router")
    # The answer says no: the question asks the other state.
    assert pairs["Is the guest network enabled by default?"] == (
        "No. The guest network is disabled by default."
    )
    assert pairs["What should I do when the status LED blinks red?"] == "Restart the modem."
    # A verb no rule reads: no question rather than "What should I do about the status LED
    # zorps red?".
    assert not [q for q in pairs if "zorps" in q]
    # A problem named by a noun phrase is still asked about.
    assert heading_question(["Manual", "Troubleshooting", "High CPU usage"], "Restart it.") == (
        "What should I do about high CPU usage?"
    )


def test_a_fact_before_a_task_s_step_is_asked_on_its_own_too(tmp_path):
    manual = tmp_path / "zephyrine.md"
    manual.write_text(
        "# Zephyrine\n\n## Install Zephyrine\n\nZephyrine requires Python 3.10 or later. "
        "Run `pip install zephyrine` to install it.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(manual)
    assert pairs["How do I install Zephyrine?"].startswith("Zephyrine requires Python 3.10")
    assert pairs["What Python version does Zephyrine require?"] == (
        "Zephyrine requires Python 3.10 or later."
    )


def test_a_tally_s_label_is_no_term(tmp_path):
    doc = tmp_path / "errors.md"
    doc.write_text(
        '# Errors\n\nAn invented description (43): "a unit of measurement", invented '
        "settings (none exists).\n",
        encoding="utf-8",
    )
    assert not [q for q in pairs_of(doc) if "invented description" in q]


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # A verb no list holds, the state it is in, then when (was no pair).
        ("The WAN LED flashes amber during a firmware update.",
         "When does the WAN LED flash amber?"),
        ("The fan spins faster during a firmware update.", "When does the fan spin faster?"),
        ("The router restarts the modem after an update.", "What does the router restart?"),
        ("The `clean` key removes old files before each build.",
         "What does the `clean` key remove?"),  # a plural noun is an object, no state
        # What a thing does unless told otherwise is asked so (was no pair).
        ("The firewall blocks incoming connections by default.",
         "What does the firewall block by default?"),
        ("The agent skips hidden files by default.", "What does the agent skip by default?"),
        # A day of the week after "every": how often (was "What does a full backup run?").
        ("A full backup runs every Sunday at 02:00.", "How often does a full backup run?"),
        # Two versions or more: "versions"; one, or one of two, is still "version".
        ("Zephyrine supports Python 2.7 and 3.3+.",
         "What Python versions does Zephyrine support?"),
        ("Zephyrine supports Python 3.8, 3.9 and 3.10.",
         "What Python versions does Zephyrine support?"),
        ("Zephyrine requires Python 2.7 or 3.5.",
         "What Python version does Zephyrine require?"),
    ],
)  # fmt: skip
def test_a_router_s_state_its_default_and_versions_are_asked_as_said(sentence, question):
    assert sentence_question(sentence, sentence) == question


def test_a_troubleshooting_heading_ending_on_its_verb_asks_what_to_do_when():
    headings = ["K9 Router", "Troubleshooting", "The screen flickers"]
    assert heading_question(headings, "Lower the refresh rate.") == (
        "What should I do when the screen flickers?"  # was "What should I do about ...?"
    )
    assert heading_question(["K9 Router", "Troubleshooting", "The fan rattles"], "Clean it.") == (
        "What should I do when the fan rattles?"
    )
    headings = ["Keepsafe", "Troubleshooting", "The tray icon disappears"]
    assert heading_question(headings, "Restart the agent.") == (
        "What should I do when the tray icon disappears?"
    )
    # A verb that names a task, then a problem's verb: no task ("How do I build fails ...?").
    headings = ["Quill", "Troubleshooting", "Build fails with a TOML error"]
    assert heading_question(headings, "Check the line the error names.") == (
        "What should I do when build fails with a TOML error?"
    )


def test_a_section_that_never_names_the_product_says_it_as_the_document_does(tmp_path):
    manual = tmp_path / "router.md"
    manual.write_text(
        "# K9 Router\n\nThe K9 Router is a dual-band home router. Mount the K9 Router on a wall."
        "\n\n## Security\n\nAll traffic is encrypted with WPA3.\n",
        encoding="utf-8",
    )
    assert pairs_of(manual)["How secure is the K9 Router?"] == "All traffic is encrypted with WPA3."
    # Said bare once, it is a name said bare: asked as written.
    manual.write_text(
        "# K9 Router\n\nThe K9 Router is a dual-band home router. K9 Router mounts on a wall."
        "\n\n## Security\n\nAll traffic is encrypted with WPA3.\n",
        encoding="utf-8",
    )
    assert "How secure is K9 Router?" in pairs_of(manual)


def test_a_title_naming_the_kind_is_asked_as_the_prose_names_the_product(tmp_path):
    # "# Beacon R5 Router" whose text says "the Beacon R5": "How do I set up Beacon R5 Router?"
    # named the product as no answer does.
    manual = tmp_path / "beacon.md"
    manual.write_text(
        "# Beacon R5 Router\n\nThe Beacon R5 is a home Wi-Fi router.\n\n## Setup\n\n"
        "Connect the Beacon R5 to your modem.\n\n## Limits\n\n"
        "The Beacon R5 supports at most 64 connected devices.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(manual)
    assert pairs["How do I set up the Beacon R5?"] == "Connect the Beacon R5 to your modem."
    assert "What are the limits of the Beacon R5?" in pairs
    # Said bare, it is asked bare.
    manual.write_text(
        "# Ember H2 Heater\n\nEmber H2 heats small rooms.\n\n## Setup\n\n"
        "Stand Ember H2 upright for 2 hours.\n",
        encoding="utf-8",
    )
    assert "How do I set up Ember H2?" in pairs_of(manual)
