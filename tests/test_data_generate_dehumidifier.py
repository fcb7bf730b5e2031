"""A newcomer's pass over an invented dehumidifier manual ("Halcyon D8") found questions asked
wrongly or not at all: a sentence listing its things after a colon read as a term ("What are the
D8 has four modes?"), a length asked "What is the power cord?", a volume held when full asked
"When ...?", a factory reset whose first step is "Switch the D8 off" asked nowhere, the mode a
thing starts in asked "Where", and a code of letters alone asked without its kind."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import pairs_of
from tunelab.data.generate.template.questions import sentence_question
from tunelab.data.generate.template.step_measures import how_long

MANUAL = """# Halcyon D8 Dehumidifier

## Modes

The D8 has four modes: Auto, Continuous, Laundry and Sleep. The D8 starts in Auto mode after setup.

## Specifications

The power cord is 1.8 metres long. The tank holds 4.5 litres of water when full.

## Factory reset

A factory reset restores every setting to its default.

1. Switch the D8 off.
2. Hold the POWER and MODE buttons together for 10 seconds.
3. Wait until all lights blink twice.

## Error codes

| Code | Meaning | What to do |
|---|---|---|
| E1 | Humidity sensor fault | Unplug the D8 for 10 minutes. |
| EC | Refrigerant leak | Contact Halcyon support. |
"""


def test_a_dehumidifier_manual_asks_each_fact_as_a_reader_would(tmp_path: Path):
    manual = tmp_path / "d8.md"
    manual.write_text(MANUAL, encoding="utf-8")
    pairs = pairs_of(manual)
    assert pairs["What modes does the D8 have?"] == (
        "The D8 has four modes: Auto, Continuous, Laundry and Sleep."
    )
    assert pairs["How long is the power cord?"] == "The power cord is 1.8 metres long."
    assert pairs["How much water does the tank hold when full?"] == (
        "The tank holds 4.5 litres of water when full."
    )
    assert pairs["How do I do a factory reset?"] == (
        "1. Switch the D8 off.\n2. Hold the POWER and MODE buttons together for 10 seconds.\n"
        "3. Wait until all lights blink twice."
    )
    assert pairs["In what mode does the D8 start?"] == "The D8 starts in Auto mode after setup."
    assert pairs["What does code EC mean?"] == (
        "Code EC means Refrigerant leak. Contact Halcyon support."
    )
    assert pairs["What does code E1 mean?"].startswith("Code E1 means Humidity sensor fault.")
    assert not [q for q in pairs if q.startswith(("What are the D8", "When does the tank"))]
    assert {"What is the power cord?", "Where does the D8 start?", "What does EC mean?"}.isdisjoint(
        pairs
    )


def test_a_supply_voltage_range_and_a_noise_level_are_asked_for_what_they_measure():
    # Both sentences were in no pair, listed among the numbers no rule asks about.
    assert sentence_question("The D8 runs on 220 to 240 V at 50 Hz.") == (
        "At what voltage does the D8 run?"
    )
    assert sentence_question("In Sleep mode, the D8 runs at 35 dB.") == (
        "At what noise level does the D8 run in Sleep mode?"
    )
    assert sentence_question("The app runs on 2 GB of RAM.") is None  # no place, no known measure


def test_a_limit_said_as_not_longer_than_asks_how_long_it_can_be():
    # "The drain hose must not be longer than 5 metres." was in no pair.
    assert sentence_question("The drain hose must not be longer than 5 metres.") == (
        "How long can the drain hose be?"
    )
    assert sentence_question("A file must not be larger than 200 MB.") == (
        "How large can a file be?"
    )
    assert sentence_question("The D8 must not be used outdoors.") is None


def test_an_opening_phrase_without_its_comma_is_still_said_last():
    # "In Sleep mode the D8 runs at 35 dB." (no comma) was in no pair, listed among the numbers
    # no rule asks about; with its comma it was asked.
    assert sentence_question("In Sleep mode the D8 runs at 35 dB.") == (
        "At what noise level does the D8 run in Sleep mode?"
    )
    assert sentence_question("On Windows the agent stores the key in the system keyring.") == (
        "Where does the agent store the key on Windows?"
    )
    # A speed after "at" is how fast, not where the words after it say.
    assert sentence_question("On cached weights the kernel runs at 220–235 GFLOP/s.") == (
        "How fast does the kernel run on cached weights?"
    )
    assert sentence_question("In most cases the D8 runs at 35 dB.") is None  # no setting


def test_how_long_to_hold_or_wait_and_how_often_to_clean_are_asked(tmp_path: Path):
    # Each of these sentences stated a number and was in no pair.
    manual = tmp_path / "d8.md"
    manual.write_text(
        "# Halcyon D8 Dehumidifier\n\n## Safety\n\nThe D8 must stand upright for 2 hours before "
        "its first use.\n\n## Maintenance\n\nRinse the filter under warm water and let it dry "
        "for 1 hour. Empty and rinse the tank once a week. Hold the WIFI button for 5 seconds "
        "until the blue light blinks. Press it for 3 seconds.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(manual)
    assert pairs["How long must the D8 stand upright?"] == (
        "The D8 must stand upright for 2 hours before its first use."
    )
    assert pairs["How long should I let the filter dry?"] == (
        "Rinse the filter under warm water and let it dry for 1 hour."
    )
    assert pairs["How often should I empty and rinse the tank?"] == (
        "Empty and rinse the tank once a week."
    )
    assert pairs["How long should I hold the WIFI button?"] == (
        "Hold the WIFI button for 5 seconds until the blue light blinks."
    )
    # "it": the sentence before names the one control it is
    assert pairs["How long should I press the WIFI button?"] == (
        "Press the WIFI button for 3 seconds."
    )
    assert not [q for q in pairs if "press it" in q.lower()]


def test_a_tasks_section_of_facts_then_its_step_answers_how_with_the_step(tmp_path: Path):
    # "How do I connect to Wi-Fi?" was answered by the section's two facts, not the step after.
    manual = tmp_path / "d8.md"
    manual.write_text(
        "# Halcyon D8 Dehumidifier\n\n## Connecting to Wi-Fi\n\nThe D8 supports 2.4 GHz Wi-Fi "
        "networks only. It does not support 5 GHz networks. Hold the WIFI button for 5 seconds "
        "until the blue light blinks. The app then finds the D8 on your network.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(manual)
    assert pairs["How do I connect to Wi-Fi?"] == (
        "The D8 supports 2.4 GHz Wi-Fi networks only. It does not support 5 GHz networks. "
        "Hold the WIFI button for 5 seconds until the blue light blinks."
    )
    # A fact in it that a question asks alone is asked so too.
    assert pairs["What does the D8 support?"] == "The D8 supports 2.4 GHz Wi-Fi networks only."


def test_a_reach_a_working_range_and_a_current_are_asked_for_what_they_measure(tmp_path: Path):
    # Each sentence stated a measure and was in no pair: "Bluetooth" (a dictionary word alone as
    # the subject), "works" (a verb with no object) and amperes (no measure known) asked nothing.
    manual = tmp_path / "d8.md"
    manual.write_text(
        "# Halcyon D8 Dehumidifier\n\n## Specifications\n\nBluetooth reaches 10 m. The D8 works "
        "between 5 and 35 °C. The pump runs at 2 A.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(manual)
    assert pairs["How far does Bluetooth reach?"] == "Bluetooth reaches 10 m."
    assert pairs["In what temperature range does the D8 work?"] == (
        "The D8 works between 5 and 35 °C."
    )
    assert pairs["At what current does the pump run?"] == "The pump runs at 2 A."
    assert sentence_question("The remote works at home.") is None  # no measure: works how?


def test_how_long_to_press_a_button_is_asked_as_how_long_to_hold_it():
    # "press" ends in -s: it was taken for a verb's third person, no step ("holds")
    assert how_long("Press the RESET button for 10 seconds.") == (
        "How long should I press the RESET button?",
        "Press the RESET button for 10 seconds.",
    )
    assert how_long("Holds the RESET button for 10 seconds.") is None
