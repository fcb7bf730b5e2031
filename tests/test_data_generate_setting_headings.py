"""A manual's settings under headings in sentence case ("### Start time" under "## Settings"):
each asked what it does and what its default is, through `tunelab.data.generate` and its
filters, as README's tour runs it."""

from __future__ import annotations

import json

import tunelab
from tests.conftest import pairs_of

TIMER = """# Aquaflow 300 Garden Timer

## Settings

### Start time

Sets when the first watering of the day begins. Defaults to 06:00.

### Duration

Sets how long each watering lasts, from 1 to 240 minutes. Defaults to 10 minutes.
"""


def test_settings_headed_in_sentence_case_are_asked_with_their_defaults(tmp_path):
    # "### Start time" was asked "How do I start time?" (a step), "### Duration" nothing at all,
    # and their defaults, asked of a heading the text never says, failed the grounding filter.
    manual = tmp_path / "timer.md"
    manual.write_text(TIMER, encoding="utf-8")
    out = tmp_path / "qa.jsonl"
    tunelab.data.generate([manual], output=str(out), mode="template")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    pairs = {row["question"]: row["answer"] for row in rows}
    assert pairs["What does start time do?"] == "Sets when the first watering of the day begins."
    assert pairs["What is the default of start time?"] == "The default of start time is 06:00."
    assert pairs["What does duration do?"] == (
        "Sets how long each watering lasts, from 1 to 240 minutes."
    )
    assert pairs["What is the default of duration?"] == "The default of duration is 10 minutes."
    assert "How do I start time?" not in pairs


LABEL_PRINTER = """# Inkling Label Printer

## Settings

### Padding

Sets the space around each label. Defaults to 2 mm.

### Ring volume

Sets how loud the finished-job ring is. Defaults to 3.
"""


def test_a_setting_named_by_an_ing_word_is_asked_as_any_other(tmp_path):
    # "Padding" is a setting, not a step ("Changing tones" is); "Ring" is no -ing word at all.
    # Both were read as no setting: "How does padding work?" answered with its default joined on,
    # and "### Ring volume" asked nothing.
    manual = tmp_path / "printer.md"
    manual.write_text(LABEL_PRINTER, encoding="utf-8")
    out = tmp_path / "qa.jsonl"
    tunelab.data.generate([manual], output=str(out), mode="template")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    pairs = {row["question"]: row["answer"] for row in rows}
    assert pairs["What does padding do?"] == "Sets the space around each label."
    assert pairs["What is the default of padding?"] == "The default of padding is 2 mm."
    assert pairs["What does ring volume do?"] == "Sets how loud the finished-job ring is."
    assert pairs["What is the default of ring volume?"] == "The default of ring volume is 3."


DATA_LOGGER = """# Siltwater Data Logger

## Settings

### Logging level

Sets how much the logger writes to its card. Defaults to info.

### Sampling rate

Sets how often the river level is read. Defaults to 10 minutes.

### Tracking mode

Chooses how the logger follows the river's edge. Defaults to auto.

### Changing tones

Press MENU twice, then choose a tone with the dial.
"""


def test_a_setting_named_by_an_ing_word_and_a_noun_is_asked_as_a_setting(tmp_path):
    # "Logging level" was asked "How do I log level?", "Sampling rate" "How do I sample rate?":
    # under "## Settings", over what a setting does or its default, they name settings.
    # "Changing tones", over a step, stays a task.
    manual = tmp_path / "logger.md"
    manual.write_text(DATA_LOGGER, encoding="utf-8")
    out = tmp_path / "qa.jsonl"
    tunelab.data.generate([manual], output=str(out), mode="template")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    pairs = {row["question"]: row["answer"] for row in rows}
    assert pairs["What does logging level do?"] == "Sets how much the logger writes to its card."
    assert pairs["What is the default of logging level?"] == "The default of logging level is info."
    assert pairs["What does sampling rate do?"] == "Sets how often the river level is read."
    assert pairs["What is the default of sampling rate?"] == (
        "The default of sampling rate is 10 minutes."
    )
    assert pairs["What is the default of tracking mode?"] == "The default of tracking mode is auto."
    assert pairs["How do I change tones?"] == "Press MENU twice, then choose a tone with the dial."
    assert not {"How do I log level?", "How do I sample rate?", "How do I track mode?"} & set(pairs)


UPLOADER = """# Courier Upload Service

## Settings

### Log level

Chooses how much the service writes to its log. Defaults to info.

Range: debug to error

### Retries

Controls how many times a failed upload is retried. Defaults to 3.

### Tracking mode

Chooses how the logger follows the river's edge. Defaults to auto.
"""


def test_a_setting_said_to_do_what_by_a_verb_no_list_holds_is_asked_what_it_does(tmp_path):
    # "Chooses ..." and "Controls ..." were no verbs the rules knew: neither setting was asked
    # what it does, and "Range: debug to error" was asked "What is range?", of nothing named.
    manual = tmp_path / "uploader.md"
    manual.write_text(UPLOADER, encoding="utf-8")
    out = tmp_path / "qa.jsonl"
    tunelab.data.generate([manual], output=str(out), mode="template")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    pairs = {row["question"]: row["answer"] for row in rows}
    assert pairs["What does log level do?"] == "Chooses how much the service writes to its log."
    assert pairs["What is the range of log level?"] == "The range of log level is debug to error."
    # One setting named in the plural: "What does retries do?" asks of many things.
    assert pairs["What does the retries setting do?"] == (
        "Controls how many times a failed upload is retried."
    )
    assert pairs["What is the default of retries?"] == "The default of retries is 3."
    assert pairs["What does tracking mode do?"] == (
        "Chooses how the logger follows the river's edge."
    )
    assert "What is range?" not in pairs


def test_a_range_said_of_no_setting_is_no_term_but_a_glossary_s_range_still_is(tmp_path):
    manual = tmp_path / "doorbell.md"
    manual.write_text(
        "# Chime 20 Doorbell\n\n## Volume levels\n\nRange: quiet to loud\n\n## Glossary\n\n"
        "Range: How far the push button reaches, 150 m outdoors.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(manual)
    assert pairs["What is range?"] == "Range: How far the push button reaches, 150 m outdoors."
    assert "Range: quiet to loud" not in pairs.values()
