"""Sentences of a manual that state a value and were in no pair (benchmarks/template_coverage.py
counted them on two manuals written blind): an error code's meaning, a step to take when
something happens, a key pressed for a task with more said after it, a setting line with a
clause after its value, a value set at the factory, and what happens in a case with no comma."""

from __future__ import annotations

from tests.conftest import pairs_of
from tunelab.data.generate.template.questions import sentence_question


def manual_pairs(folder, text: str) -> dict[str, str]:
    """Template mode's pairs of `text` written as a manual in `folder`: {question: answer}."""
    doc = folder / "espresso.md"
    doc.write_text(text, encoding="utf-8")
    return pairs_of(doc)


ESPRESSO = """# Brava EM-300 Espresso Machine

## Control panel

The machine has four buttons: POWER, 1-CUP, 2-CUP and STEAM.
Press POWER to switch the machine on; the light blinks while it heats up.

## Making an espresso

1. Put the portafilter in the group head.
2. Press 1-CUP or 2-CUP.

A good single shot takes 25 to 30 seconds to run.
If the shot runs faster than 20 seconds, set a finer grind.
If you hear the pump rattle, refill the water tank.

## Troubleshooting

If the POWER light blinks red, the heater has overheated.

Error E4 means the grinder is blocked; empty the hopper and clean the burrs.
Error 503 means the server is busy.
"""


def test_an_error_code_is_asked_what_it_means(tmp_path):
    pairs = manual_pairs(tmp_path, ESPRESSO)
    assert pairs["What does error E4 mean?"] == (
        "Error E4 means the grinder is blocked; empty the hopper and clean the burrs."
    )
    assert pairs["What does error 503 mean?"] == "Error 503 means the server is busy."


def test_a_step_taken_if_something_happens_is_asked_what_to_do_then(tmp_path):
    pairs = manual_pairs(tmp_path, ESPRESSO)
    assert pairs["What should I do if the shot runs faster than 20 seconds?"] == (
        "If the shot runs faster than 20 seconds, set a finer grind."
    )
    # The reader asks of what they hear, not of "you".
    assert pairs["What should I do if I hear the pump rattle?"] == (
        "If you hear the pump rattle, refill the water tank."
    )


def test_a_case_answered_by_two_steps_offered_is_asked_what_to_do(tmp_path):
    # "free" opens no list of steps, but "or lower ..." offers a second step: both are steps.
    pairs = manual_pairs(
        tmp_path,
        '# Vault\n\n## Disk\n\nIf the console shows "disk full", '
        "free space on the server or lower retention_days.\n",
    )
    assert pairs['What should I do if the console shows "disk full"?'] == (
        'If the console shows "disk full", free space on the server or lower retention_days.'
    )
    # A case whose comma is followed by what happens, not a step, is asked nothing of it.
    said = "If the tank is empty, water pressure or flow drops.\n"
    assert not [q for q in manual_pairs(tmp_path, f"# Vault\n\n## Tank\n\n{said}") if "do if" in q]


def test_a_key_pressed_for_a_task_is_asked_with_more_said_after_it(tmp_path):
    pairs = manual_pairs(tmp_path, ESPRESSO)
    assert pairs["How do I switch the machine on?"] == (
        "Press POWER to switch the machine on; the light blinks while it heats up."
    )


SPECIFICATIONS = """# Brava EM-300 Espresso Machine

## Specifications

The EM-300 is built for home kitchens.

Weight: 6.4 kg
Pump pressure: 15 bar
Heat-up time: 45 seconds

## Settings

The EM-300 keeps its settings when it is unplugged.

- Brew temperature: 93 °C by default
- Auto-off: 30 minutes
- Default: 2 cups

## Power

| Item | Value |
|---|---|
| Heater power | 1350 W |
"""


def test_a_specification_written_as_a_label_and_its_value_is_asked_as_a_table_row_is(tmp_path):
    pairs = manual_pairs(tmp_path, SPECIFICATIONS)
    # Lines with no full stop were one paragraph ("Weight: 6.4 kg Pump pressure: 15 bar ..."),
    # and list items of a number alone no definition: no line was asked alone.
    of = "of the Brava EM-300 Espresso Machine?"
    assert pairs[f"What is the weight {of}"] == "The weight is 6.4 kg."
    assert pairs[f"What is the pump pressure {of}"] == "The pump pressure is 15 bar."
    assert pairs[f"What is the heat-up time {of}"] == "The heat-up time is 45 seconds."
    assert (
        pairs[f"What is the brew temperature {of}"] == "The brew temperature is 93 °C by default."
    )
    assert not [q for q in pairs if "default of" in q]  # "Default: 2 cups": a label, no spec
    # "| Item | Value |" was asked "What is the value of Heater power?".
    assert pairs[f"What is the heater power {of}"] == "The heater power is 1350 W."


def test_a_setting_that_can_be_set_between_two_values_is_asked_its_range():
    asked = {
        "The threads value can be set between 1 and 16.": "What is the range of the threads value?",
        "The volume can be set from 0 to 5.": "What is the range of the volume?",
        "`threads` ranges between 1 and 16.": "What is the range of `threads`?",
    }
    for sentence, question in asked.items():
        assert sentence_question(sentence) == question


def test_a_thing_sent_at_a_time_is_asked_when_as_with_a_regular_verb():
    # "Reports are rotated at 07:00." was asked "When ...?", "are sent" nothing: "sent" was not
    # known to be a participle.
    assert sentence_question("Reports are sent at 07:00.") == "When are reports sent?"
    assert sentence_question("Reports are sent at 07:00 every Monday.") == (
        "How often are reports sent?"
    )


def test_a_key_pressed_for_a_thing_is_asked_which_key_gives_it(tmp_path):
    doc = tmp_path / "espresso.md"
    doc.write_text(
        "# Brava EM-300\n\n## Shots\n\nThe EM-300 makes one or two shots at a time.\n"
        "Press 1-CUP for a single shot of 30 ml.\nPress 2-CUP for a double shot of 60 ml.\n"
        "Hold POWER for a few seconds.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["What do I press for a single shot of 30 ml?"] == (
        "Press 1-CUP for a single shot of 30 ml."
    )
    assert pairs["What do I press for a double shot of 60 ml?"] == (
        "Press 2-CUP for a double shot of 60 ml."
    )
    assert not [q for q in pairs if "few seconds" in q]  # how long, not what it is for


SETTINGS = """# Brava EM-300 Espresso Machine

## Settings

Brew temperature: 93 °C by default; it can be set between 88 °C and 96 °C.
Auto-off: the machine switches itself off after 30 minutes without use.
Water hardness is set to level 3 at the factory.
Eco mode lowers the standby temperature to 60 °C to save power.
If the tank runs dry during a shot it is stopped and the POWER light blinks.
"""


def test_a_setting_line_with_a_clause_after_its_value_is_asked_its_value(tmp_path):
    pairs = manual_pairs(tmp_path, SETTINGS)
    # The clause after ";" made it no specification, and its number no definition: unasked.
    assert pairs["What is the brew temperature of the Brava EM-300 Espresso Machine?"] == (
        "The brew temperature is 93 °C by default; it can be set between 88 °C and 96 °C."
    )
    # "after 30 minutes" read as a measurement ("Speed: 8.3 minutes"), not what auto-off does.
    assert pairs["What is auto-off?"] == (
        "Auto-off: the machine switches itself off after 30 minutes without use."
    )


def test_a_value_set_at_the_factory_is_asked_what_it_is_set_to():
    assert sentence_question("Water hardness is set to level 3 at the factory.") == (
        "What is water hardness set to at the factory?"
    )
    assert sentence_question("The volume is set to 5 by default.") == (
        "What is the volume set to by default?"
    )
    # A place stays a place: "Where ...?", not "What ... to?".
    assert sentence_question("Logs are written to /var/log by default.") == (
        "Where are logs written?"
    )


def test_a_case_with_no_comma_is_asked_what_happens_then(tmp_path):
    pairs = manual_pairs(tmp_path, SETTINGS)
    assert pairs["What happens if the tank runs dry during a shot?"] == (
        "If the tank runs dry during a shot it is stopped and the POWER light blinks."
    )


def test_what_a_mode_lowers_is_asked_with_its_value_in_the_answer(tmp_path):
    pairs = manual_pairs(tmp_path, SETTINGS)
    # "lowers" was no verb the rules knew: "Eco mode lowers ..." was asked nothing.
    assert pairs["What does eco mode lower?"] == (
        "Eco mode lowers the standby temperature to 60 °C to save power."
    )
    assert sentence_question("Night mode raises the fan speed to level 1.") == (
        "What does night mode raise?"
    )


def test_a_step_with_an_amount_is_asked_how_much_and_what_with(tmp_path):
    doc = tmp_path / "espresso.md"
    doc.write_text(
        "# Brava EM-300\n\n## Descaling\n\nDescale the machine every 3 months.\n"
        "Empty the drip tray first.\nUse 500 ml of water with one sachet of Brava descaler.\nUse 500 ml of it.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["How much water should I use with one sachet of Brava descaler?"] == (
        "Use 500 ml of water with one sachet of Brava descaler."
    )
    assert not [q for q in pairs if "much it" in q]  # "of it": what, only the text before says


def test_a_thing_split_into_pieces_of_a_size_is_asked_how_not_where():
    # "into 10 MB files" read "files" as a place: "Where are logs split?"
    assert sentence_question("Logs are split into 10 MB files.") == "How are logs split?"
    assert sentence_question("The archive is divided into 4 parts.") == (
        "How is the archive divided?"
    )
    assert sentence_question("Backups are copied into the vault.") == "Where are backups copied?"


def test_a_subject_saying_which_by_a_measure_is_asked_whole(tmp_path):
    # "larger than 50 GB" made the subject seven words, read as a clause: the sentence was in no
    # pair.
    doc = tmp_path / "snapvault.md"
    doc.write_text(
        "# SnapVault\n\n## Limits\n\nA single vault can hold up to 10 TB of data.\n"
        "Backups of files larger than 50 GB are split into 1 GB chunks.\n",
        encoding="utf-8",
    )
    assert pairs_of(doc)["How are backups of files larger than 50 GB split?"] == (
        "Backups of files larger than 50 GB are split into 1 GB chunks."
    )
    assert sentence_question("Uploads of files older than 30 days are deleted after 7 days.") == (
        "When are uploads of files older than 30 days deleted?"
    )
    # Its words count as one however far they push the verb: "are" was never reached.
    assert (
        sentence_question(
            "Backups of raw video files larger than about 50 GB are split into 1 GB chunks."
        )
        == "How are backups of raw video files larger than about 50 GB split?"
    )
    # A clause of seven words is still no subject.
    assert (
        sentence_question("Backups that the agent made last night are split into 1 GB chunks.")
        is None
    )


def test_a_price_is_asked_how_much_with_what_it_is_per(tmp_path):
    # "The Vireo Cloud plan costs 4 dollars per month." was asked "How many dollars per month
    # does the Vireo Cloud plan cost?", a price counted as things.
    pairs = manual_pairs(
        tmp_path,
        "# Vireo Hub\n\nThe Vireo Hub is a controller. The Vireo Hub costs 189 dollars.\n\n"
        "## Cloud\n\nThe Vireo Cloud plan costs 4 dollars per month.\n",
    )
    assert pairs["How much does the Vireo Hub cost?"] == "The Vireo Hub costs 189 dollars."
    assert pairs["How much does the Vireo Cloud plan cost per month?"] == (
        "The Vireo Cloud plan costs 4 dollars per month."
    )
